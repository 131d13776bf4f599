# shellcheck shell=bash
# An extra Docker engine beside the main one, all its state in one directory: data-root, exec-root, pidfile,
# socket, config file and log, and a containerd of its own (dockerd starts one when no system containerd socket
# exists). The main engine is never touched. Sourced by scripts/swarm/bed.sh (three nodes in network namespaces)
# and scripts/repro/engine.sh (the containerd-image-store engine that proves `make build` reproducible).

dockerd_sock() { echo "unix://$1/docker.sock"; }

# dockerd would adopt a system containerd whose socket exists instead of starting its own: the extra engine would
# then share (and clean up) that containerd's state.
dockerd_require_own_containerd() {
  if [ -S /run/containerd/containerd.sock ]; then
    echo "/run/containerd/containerd.sock exists: an extra dockerd would share that containerd" >&2
    return 1
  fi
}

# dockerd_start DIR [LAUNCHER...] -- [DOCKERD_ARGS...]: starts dockerd in the background, detached from the caller's
# session, with its state under DIR (DIR/daemon.json: '{}' unless the caller wrote one). LAUNCHER, when given, is a
# command that ends by exec-ing its arguments (e.g. nsenter into a network namespace).
dockerd_start() {
  local dir=$1 launcher=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do launcher+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  mkdir -p "$dir"
  [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
  setsid "${launcher[@]}" dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "$(dockerd_sock "$dir")" --config-file "$dir/daemon.json" "$@" >"$dir/dockerd.log" 2>&1 </dev/null &
}

dockerd_answers() { [ -S "$1/docker.sock" ] && timeout 10 docker -H "$(dockerd_sock "$1")" info >/dev/null 2>&1; }

# dockerd_stop DIR: removes the engine's containers and stops it gracefully (SIGTERM, up to 10 s) where it answers.
dockerd_stop() {
  local dir=$1 pidfile=$1/dockerd.pid waited=0 ids
  if dockerd_answers "$dir"; then
    ids=$(timeout 10 docker -H "$(dockerd_sock "$dir")" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086 # one argument per container id
    [ -z "$ids" ] || timeout 30 docker -H "$(dockerd_sock "$dir")" rm -f $ids >/dev/null 2>&1 || true
  fi
  [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  while [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && [ $waited -lt 40 ]; do
    sleep 0.25
    waited=$((waited + 1))
  done
}

# dockerd_pids DIR: the engine's dockerd, containerd and shims, found by DIR in their arguments (shims outlive a
# killed dockerd). Never the caller, its parent or PID 1.
dockerd_pids() {
  ps -eo pid=,args= | D="$1/" awk -v a=$$ -v b=$PPID \
    'ENVIRON["D"] != "/" && index($0, ENVIRON["D"]) && $1 > 1 && $1 != a && $1 != b { print $1 }'
}

# unmount_under DIR: every mount below DIR (layers, netns bind mounts, shm), deepest first, then DIR itself.
unmount_under() {
  local dir=$1 m
  [ -d "$dir" ] || return 0
  awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  if mountpoint -q "$dir"; then umount -l "$dir" 2>/dev/null || true; fi
}

# dockerd_mounts DIR: what unmount_under would remove (nothing printed when there is none).
dockerd_mounts() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo; }
