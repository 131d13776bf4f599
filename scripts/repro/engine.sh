#!/usr/bin/env bash
# A throwaway Docker engine with the containerd image store, for the reproducible-build test
# (test/repro/build-repro.test.ts, part of `make test`). The engine CI runs on keeps the classic image store, whose
# builder cannot export the image tarball `make build` needs for BuildKit's rewrite-timestamp; this one can, and
# changing the main engine's store (or restarting it) is not an option on a shared machine.
#
#   engine.sh up DIR [STORE]  start the engine, all its state in a memory file system mounted on DIR; prints the
#                             DOCKER_HOST to use. STORE: containerd (default) or classic (overlay2, the store of
#                             the engine CI runs on: the test checks `make build` says it is not reproducible there)
#   engine.sh load DIR IMG... copy images from the main engine into it (docker save | docker load)
#   engine.sh down DIR        remove everything `up` made, also after a failure: processes, mounts, DIR
#   engine.sh status DIR      print what exists (nothing when there is none)
#
# It runs in the host's network namespace and leaves the host's network alone: a bridge of its own (never the host's
# docker0, which dockerd deletes at start when told --bridge=none), no iptables rules, no sysctl. Its builds therefore need `--network=host` (the docker
# driver grants that entitlement by default), which reaches the npm registry exactly as the host does; a build's
# network never enters the image. Own containerd (also where a system containerd runs, e.g. on GitHub's runners: the
# engine lives in a mount namespace of its own that hides /run/containerd), data-root, exec-root, socket, cgroup
# parent: scripts/lib/dockerd.sh.
# Environment: REPRO_ENGINE_TMPFS (size of the memory file system, default 4g; 0: on disk in DIR instead).
set -euo pipefail
# shellcheck source=scripts/lib/dockerd.sh
. "$(dirname "$0")/../lib/dockerd.sh"

readonly tmpfs_size=${REPRO_ENGINE_TMPFS:-4g}

log() { printf '[repro-engine %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# A directory of ours: an absolute path, and never / or a system directory by mistake.
checked_dir() {
  local dir=${1:-}
  [ -n "$dir" ] || die "usage: $0 up DIR [containerd|classic] | load DIR IMAGE... | down DIR | status DIR"
  case $dir in /*/*) ;; *) die "DIR must be an absolute path below a directory: $dir" ;; esac
  echo "${dir%/}"
}

cgroup_name() { echo "mcp-stack-repro-$(basename "$1")"; }
# The engine's own default bridge (an interface name has at most 15 characters).
bridge_name() { echo "mcprepro$(printf '%s' "$1" | md5sum | cut -c1-7)"; }

# Every process of the engine in DIR: dockerd, containerd, shims (scripts/lib/dockerd.sh) and the containers' and
# builds' processes, in its cgroup (they outlive a killed dockerd and its shims).
engine_pids() {
  local dir=$1 ctl
  {
    dockerd_pids "$dir"
    for ctl in /sys/fs/cgroup/*/"$(cgroup_name "$dir")" /sys/fs/cgroup/"$(cgroup_name "$dir")"; do
      [ ! -d "$ctl" ] || find "$ctl" -name cgroup.procs -exec cat {} + 2>/dev/null || true
    done
  } | awk -v a=$$ -v b=$PPID '$1 > 1 && $1 != a && $1 != b' | sort -un
}

up() {
  local dir=$1 store=${2:-containerd} tool start=$SECONDS expected
  case $store in
    containerd) expected=io.containerd.snapshotter ;;
    classic) expected=overlay2 ;;
    *) die "unknown image store $store (containerd or classic)" ;;
  esac
  for tool in dockerd containerd docker unshare mount umount ip; do
    command -v "$tool" >/dev/null 2>&1 || die "missing $tool (Debian: docker.io util-linux iproute2)"
  done
  [ "$(id -u)" = 0 ] || die "a second Docker engine needs root"
  docker buildx version >/dev/null 2>&1 || die "docker buildx is missing (Debian: docker-buildx)"
  if dockerd_answers "$dir" || [ -n "$(dockerd_pids "$dir")" ]; then die "an engine already runs in $dir ($0 down $dir)"; fi
  mkdir -p "$dir"
  if [ "$tmpfs_size" != 0 ]; then mount -t tmpfs -o "size=$tmpfs_size,mode=0700" mcp-stack-repro "$dir"; fi
  if [ "$store" = containerd ]; then
    echo '{"features": {"containerd-snapshotter": true}}' >"$dir/daemon.json"
  else
    # Named explicitly: Engine 29 and later default to the containerd store on a fresh data-root.
    echo '{"storage-driver": "overlay2", "features": {"containerd-snapshotter": false}}' >"$dir/daemon.json"
  fi
  # A bridge of its own: with --bridge=none dockerd deletes the host's docker0 at start (it assumes it owns the
  # host's default bridge), which cuts every container of the main engine off its default network.
  local bridge
  bridge=$(bridge_name "$dir")
  ip link add "$bridge" type bridge 2>/dev/null || ip link show "$bridge" >/dev/null || die "cannot create bridge $bridge"
  # Its address from the benchmarking range (RFC 2544): given none, dockerd would take the next of the pools the
  # main engine's own networks use, and its route would shadow one of them.
  ip addr replace "198.18.$((0x$(printf '%s' "$dir" | md5sum | cut -c1-2))).1/24" dev "$bridge"
  ip link set "$bridge" up
  dockerd_start "$dir" -- --bridge="$bridge" --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --cgroup-parent "$(cgroup_name "$dir")" --log-level warn
  local waited=0
  until dockerd_answers "$dir"; do
    if [ $waited -ge 120 ]; then
      tail -n 20 "$dir/dockerd.log" >&2 || true
      die "the engine in $dir did not answer within 60 s"
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  local driver
  driver=$(docker -H "$(dockerd_sock "$dir")" info --format '{{.Driver}} {{range .DriverStatus}}{{index . 1}} {{end}}')
  case $driver in
    *"$expected"*) ;;
    *) die "the engine in $dir did not take the $store image store (storage driver: $driver)" ;;
  esac
  log "engine with the $store image store answers at $(dockerd_sock "$dir") after $((SECONDS - start)) s"
  echo "DOCKER_HOST=$(dockerd_sock "$dir")"
}

load() {
  local dir=$1 start=$SECONDS image
  shift
  [ $# -gt 0 ] || die "usage: $0 load DIR IMAGE..."
  for image in "$@"; do docker image inspect "$image" >/dev/null || die "image $image is not on the main engine"; done
  # From the engine the caller's environment names (the main one), into this one.
  docker save "$@" | docker -H "$(dockerd_sock "$dir")" load -q >/dev/null
  log "loaded $* in $((SECONDS - start)) s"
}

down() {
  local dir=$1 start=$SECONDS pids ctl
  dockerd_stop "$dir"
  # Whatever survived (a dead dockerd leaves its containerd, shims and containers): killed by PID, twice at most.
  for _ in 1 2; do
    mapfile -t pids < <(engine_pids "$dir")
    [ ${#pids[@]} -eq 0 ] && break
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.5
  done
  # Read while DIR (and its record of the engine's mount namespace) still exists.
  local survivors
  survivors=$(engine_pids "$dir")
  unmount_under "$dir"
  for ctl in /sys/fs/cgroup/*/"$(cgroup_name "$dir")" /sys/fs/cgroup/"$(cgroup_name "$dir")"; do
    [ -d "$ctl" ] && find "$ctl" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "$dir"
  ip link show "$(bridge_name "$dir")" >/dev/null 2>&1 && ip link delete "$(bridge_name "$dir")"
  local left
  left=$(status "$dir")
  [ -z "$survivors" ] || left+=$'\n'"processes that survived SIGKILL: $(echo "$survivors" | tr '\n' ' ')"
  if [ -n "$left" ]; then log "teardown of $dir incomplete:"; echo "$left" >&2; return 1; fi
  log "engine in $dir removed after $((SECONDS - start)) s"
}

status() {
  local dir=$1 p ctl
  for p in $(engine_pids "$dir"); do echo "process $p: $(ps -o args= -p "$p" | cut -c1-100)"; done
  dockerd_mounts "$dir" | sed 's/^/mount /'
  for ctl in /sys/fs/cgroup/*/"$(cgroup_name "$dir")" /sys/fs/cgroup/"$(cgroup_name "$dir")"; do
    [ -d "$ctl" ] && echo "cgroup $ctl"
  done
  [ -e "$dir" ] && echo "dir $dir"
  ip link show "$(bridge_name "$dir")" >/dev/null 2>&1 && echo "bridge $(bridge_name "$dir")"
  true
}

command=${1:-}
dir=$(checked_dir "${2:-}")
case $command in
  up) up "$dir" "${3:-containerd}" ;;
  load) shift 2; load "$dir" "$@" ;;
  down) down "$dir" ;;
  status) status "$dir" ;;
  *) echo "usage: $0 up|load|down|status DIR" >&2; exit 2 ;;
esac
