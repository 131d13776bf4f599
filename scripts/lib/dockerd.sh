# shellcheck shell=bash
# An extra Docker engine beside the main one, all its state in one directory: data-root, exec-root, pidfile,
# socket, config file and log, and a containerd of its own. The main engine is never touched. Sourced by
# scripts/swarm/bed.sh (three nodes in network namespaces) and scripts/repro/engine.sh (the containerd-image-store
# engine that proves `make build` reproducible).
#
# dockerd adopts a system containerd whenever /run/containerd/containerd.sock exists (the only path it probes,
# as root), instead of starting its own: the extra engine would then share, and clean up, that containerd's state
# (docker-ce + containerd.io hosts, e.g. GitHub's Ubuntu runners, have one there). So each extra dockerd runs in a
# mount namespace of its own, in which an empty tmpfs covers /run/containerd: it always starts its own containerd.
# Consequences: the mounts it and its containerd make (image layers, container and netns bind mounts, secrets
# tmpfs) exist only in that namespace, invisible from the host and gone when its last process is; its files and
# sockets under DIR stay reachable from the host (same file systems); the namespace is a slave of the host's, so
# host mounts and unmounts reach it, never the other way round. A host tool that must see the engine's mounts
# looks through /proc/<dockerd pid>/root or its mountinfo. Cleaning up therefore means killing every process of
# the engine (dockerd_pids finds them, also those only its mount namespace gives away).
dockerd_sock() { echo "unix://$1/docker.sock"; }

# dockerd_start DIR [LAUNCHER...] -- [DOCKERD_ARGS...]: starts dockerd in the background, detached from the caller's
# session, with its state under DIR (DIR/daemon.json: '{}' unless the caller wrote one), in a mount namespace of its
# own where /run/containerd is empty (see the header); DIR/mntns names that namespace. LAUNCHER, when given, is a
# command that ends by exec-ing its arguments (e.g. nsenter into a network namespace).
dockerd_start() {
  local dir=$1 launcher=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do launcher+=("$1"); shift; done
  [ "${1:-}" = -- ] && shift
  mkdir -p "$dir"
  [ -f "$dir/daemon.json" ] || echo '{}' >"$dir/daemon.json"
  rm -f "$dir/mntns"
  # The tmpfs and the mntns record happen inside the new namespace, before dockerd is exec'd (unshare --mount
  # needs no fork, so dockerd keeps this process's PID). mkdir -p: a host that never ran containerd has no
  # /run/containerd to cover; the empty directory it then gets changes nothing for any engine.
  # shellcheck disable=SC2016 # expanded by the inner shell: $0 is DIR, $@ the launcher and dockerd's arguments
  setsid unshare --mount --propagation slave sh -c '
    mkdir -p /run/containerd &&
      mount -t tmpfs -o size=16m,mode=0711 mcp-stack-no-system-containerd /run/containerd || exit 1
    readlink /proc/self/ns/mnt >"$0/mntns" || exit 1
    exec "$@"' "$dir" "${launcher[@]}" dockerd --data-root "$dir/data" --exec-root "$dir/exec" \
    --pidfile "$dir/dockerd.pid" -H "$(dockerd_sock "$dir")" --config-file "$dir/daemon.json" "$@" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
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
# killed dockerd), and every other process in the engine's mount namespace (DIR/mntns), once one of the former
# shows that namespace is still the engine's (the kernel reuses namespace numbers). Never the caller, its parent or
# PID 1.
dockerd_pids() {
  local dir=$1 named ns pid
  named=$(ps -eo pid=,args= | D="$dir/" awk -v a=$$ -v b=$PPID \
    'ENVIRON["D"] != "/" && index($0, ENVIRON["D"]) && $1 > 1 && $1 != a && $1 != b { print $1 }')
  {
    [ -z "$named" ] || echo "$named"
    ns=$(cat "$dir/mntns" 2>/dev/null) || ns=
    # Never the host's namespace (a bogus record must not select every process on the machine).
    if [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/1/ns/mnt)" ] && [ "$ns" != "$(readlink /proc/self/ns/mnt)" ]; then
      for pid in $named; do
        [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
        mntns_pids "$ns" | awk -v a=$$ -v b=$PPID '$1 > 1 && $1 != a && $1 != b'
        break
      done
    fi
  } | sort -un
}

# mntns_pids NS: the processes whose mount namespace is NS (as readlink shows it: mnt:[inode]).
mntns_pids() {
  local inode=${1//[^0-9]/}
  # One stat for all processes: -L gives the namespace's own inode; vanished processes are skipped.
  stat -L -c '%i %n' /proc/[0-9]*/ns/mnt 2>/dev/null | awk -v i="$inode" '$1 == i { split($2, p, "/"); print p[3] }'
}

# unmount_under DIR: every mount of the host's below DIR, deepest first, then DIR itself (the memory file system the
# callers keep DIR in; the engine's own mounts live in its mount namespace and go with its last process).
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
