#!/usr/bin/env bash
# Installs one pinned PyPI package into its own venv under /var/cache/mcp-stack (kept between CI runs) and prints
# the venv's bin directory. The package index is whatever the machine's pip configuration says.
#   usage: scripts/hardening/pyvenv.sh <package> <version>
set -euo pipefail
package=${1:?usage: pyvenv.sh <package> <version>}
version=${2:?usage: pyvenv.sh <package> <version>}
cache=${MCP_STACK_CACHE:-/var/cache/mcp-stack}
venv="$cache/pyvenv/$package-$version"
stamp="$venv/.installed"
if [[ ! -f $stamp ]]; then
  command -v python3 >/dev/null || { echo "pyvenv: python3 is missing (apt-get install python3 python3-venv)" >&2; exit 1; }
  rm -rf "$venv"
  mkdir -p "$cache/pyvenv"
  python3 -m venv "$venv" >&2 || { echo "pyvenv: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" >&2 \
    || { echo "pyvenv: pip could not install $package==$version (check the machine's pip configuration)" >&2; exit 1; }
  touch "$stamp"
fi
echo "$venv/bin"
