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

engine_answers() { docker info >/dev/null 2>&1; }

start_engine() {
  # A socket left by a dead daemon makes `docker info` fail but is no reason to start a second one.
  if pgrep -x dockerd >/dev/null 2>&1; then
    log "dockerd is running but not answering yet; waiting for it"
  else
    local logfile="$MCP_STACK_CACHE/dockerd.log"
    log "starting dockerd (log: $logfile)"
    rm -f /var/run/docker.pid
    # dockerd uses a system containerd whenever its socket file exists; one left by a killed
    # containerd would hang the start, so without that process let dockerd run its own.
    if [ -S /run/containerd/containerd.sock ] && ! pgrep -x containerd >/dev/null 2>&1; then
      rm -f /run/containerd/containerd.sock
    fi
    # Containers inherit dockerd's open-files limit, and a proxy needs one descriptor per client and one per
    # upstream connection: `make soak` holds 10,000 streams through Traefik. Raise it as far as this machine
    # lets us (a hard limit above the current one needs CAP_SYS_RESOURCE) and say where it ended.
    local nofile=1048576
    if ! (ulimit -Hn "$nofile" && ulimit -Sn "$nofile") 2>/dev/null; then
      nofile=$(ulimit -Hn)
      log "cannot raise the open-files limit past its hard limit $nofile here (no CAP_SYS_RESOURCE); dockerd and its containers get $nofile"
    fi
    # setsid: the daemon outlives this script and the shell that ran it.
    (
      ulimit -Hn "$nofile" 2>/dev/null || true
      ulimit -Sn "$nofile"
      exec setsid dockerd >>"$logfile" 2>&1 </dev/null
    ) &
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
  log "installing Compose v2 (docker-compose from Debian trixie)"
  ensure_trixie_source
  apt_install -t trixie docker-compose
}

# Packages first, engine second: trixie's Compose pulls in trixie's docker.io (engine 26), so installing it before
# dockerd starts means a fresh machine runs the same engine as one where both were installed earlier.
if ! command -v dockerd >/dev/null 2>&1; then
  log "installing Debian's docker.io"
  apt_install docker.io
fi
compose_v2 || install_compose_v2
compose_v2 || { log "docker compose v2 still missing"; exit 1; }
# Buildx: `make build` and its reproducibility test need it (rewrite-timestamp). Compose's package recommends it;
# asked for by name so that a machine installing without recommends gets it too.
if ! docker buildx version >/dev/null 2>&1; then
  log "installing Buildx (docker-buildx from Debian trixie)"
  ensure_trixie_source
  apt_install -t trixie docker-buildx
fi
engine_answers || start_engine
docker version --format 'engine {{.Server.Version}}, client {{.Client.Version}}' >&2
docker compose version >&2
