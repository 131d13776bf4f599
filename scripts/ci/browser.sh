#!/usr/bin/env bash
# The /docs test drives a real headless Chromium: Debian's package, since browser downloads are not possible
# here. Skipped when CHROMIUM_PATH already names a browser (e.g. GitHub's runners ship Chrome).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/lib.sh"

browser=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$browser" ]; then
  log "browser present: $browser"
  exit 0
fi
apt_install chromium
/usr/bin/chromium --version >&2
