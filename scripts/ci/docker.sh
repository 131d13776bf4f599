#!/usr/bin/env bash
# Makes sure a Docker engine answers and Compose v2 is installed. Idempotent: does nothing
# when both already work, and is safe to run while dockerd is up.
#  - engine: Debian's docker.io, dockerd started in the background (log under $MCP_STACK_CACHE)
#  - Compose v2: bookworm only ships the Python 1.29, so take Debian trixie's docker-compose
#    (a static Go binary) from a trixie apt source pinned low so nothing else comes from it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/lib.sh"

export DEBIAN_FRONTEND=noninteractive
apt_updated=
apt_update_once() {
  if [ -z "$apt_updated" ]; then
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt_updated=1
  fi
}

engine_answers() { docker info >/dev/null 2>&1; }

start_engine() {
  if ! command -v dockerd >/dev/null 2>&1; then
    log "installing Debian's docker.io"
    apt_update_once
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq docker.io >/dev/null
  fi
  # A socket left by a dead daemon makes `docker info` fail but is no reason to start a second one.
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd is running but not answering yet; waiting for it"
  else
    local logfile="$MCP_STACK_CACHE/dockerd.log"
    log "starting dockerd (log: $logfile)"
    rm -f /var/run/docker.pid
    # setsid: the daemon outlives this script and the shell that ran it.
    setsid dockerd >>"$logfile" 2>&1 </dev/null &
  fi
  local waited=0
  until engine_answers; do
    if [ "$waited" -ge 120 ]; then
      log "dockerd did not answer within 120 s; last lines of its log:"
      tail -n 30 "$MCP_STACK_CACHE/dockerd.log" >&2 || true
      return 1
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "engine answers after ${waited} s"
}

compose_v2() { docker compose version 2>/dev/null | grep -Eq 'v?2\.'; }

install_compose_v2() {
  local sources=/etc/apt/sources.list.d/debian-trixie.sources
  if [ ! -f "$sources" ]; then
    # Same mirror and key as the machine's own bookworm entry, only the suite differs.
    local uri key
    uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    key=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    : "${uri:=http://deb.debian.org/debian}"
    : "${key:=/usr/share/keyrings/debian-archive-keyring.gpg}"
    printf 'Types: deb\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: %s\n' "$uri" "$key" > "$sources"
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > /etc/apt/preferences.d/trixie-low
    apt_updated=
  fi
  log "installing Compose v2 (docker-compose from Debian trixie)"
  apt_update_once
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq -t trixie docker-compose >/dev/null
}

engine_answers || start_engine
compose_v2 || install_compose_v2
compose_v2 || { log "docker compose v2 still missing"; exit 1; }
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}' >&2
docker compose version >&2
