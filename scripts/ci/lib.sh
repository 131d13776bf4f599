# shellcheck shell=bash
# Shared helpers for the CI/bootstrap scripts. Sourced, not executed.
# Everything slow is cached under MCP_STACK_CACHE (outside the clone), keyed by version.
: "${MCP_STACK_CACHE:=/var/cache/mcp-stack}"
export MCP_STACK_CACHE
mkdir -p "$MCP_STACK_CACHE"

# The Go toolchain lives outside the default PATH on our machines.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="/usr/local/go/bin:$PATH"
  export PATH
fi

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# step NAME CMD...: run a step and print how long it took.
step() {
  local name=$1; shift
  local start=$SECONDS
  log "==> $name"
  local rc=0
  "$@" || rc=$?
  log "<== $name: $((SECONDS - start)) s (exit $rc)"
  return $rc
}

# apt_install [-t SUITE] PKG...: Debian packages, waiting for another apt/dpkg to finish first;
# `apt-get update` runs once per process.
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    APT_UPDATED=1
  fi
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq "$@" >/dev/null
}

# debian_mirror: the Debian archive URI this machine's apt already uses (deb822 sources, else the one-line
# sources.list), so nothing here names a mirror of its own. Fails with a clear message when apt has none.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  if [ -z "$uri" ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  fi
  if [ -z "$uri" ]; then
    log "no Debian archive in this machine's apt sources (/etc/apt/sources.list*): add one, then run this again"
    return 1
  fi
  printf '%s\n' "$uri"
}

# A Debian trixie apt source (same mirror and key as the machine's bookworm entry) pinned low, so
# only packages asked for with `-t trixie` come from it.
ensure_trixie_source() {
  local sources=/etc/apt/sources.list.d/debian-trixie.sources
  [ -f "$sources" ] && return 0
  local uri key
  uri=$(debian_mirror) || return 1
  key=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  : "${key:=/usr/share/keyrings/debian-archive-keyring.gpg}"
  printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$key" > "$sources"
  printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/trixie-low
  APT_UPDATED=
}
