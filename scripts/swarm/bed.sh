#!/usr/bin/env bash
# A real three-node Docker Swarm on one machine, for `make test-swarm` (see docs/scaling.md, "Testing").
#
#   bed.sh up            three dockerd (1 manager, 2 workers), each in its own network namespace, joined
#   bed.sh load IMG...   copy local images from the main engine into every node (docker save | docker load)
#   bed.sh down          remove everything `up` made, also after a crash: processes, mounts, cgroups, netns, veths
#   bed.sh kill N        node N dies at once: SIGKILL to its dockerd, containerd, shims and tasks (power loss)
#   bed.sh status        print what exists
#
# Layout: the nodes' namespaces hang on a bridge that lives in a namespace of its own, so node-to-node traffic
# never crosses the host's FORWARD chain (Docker's DROP policy); the host joins that bridge through one veth and
# reaches every node's address directly. Each dockerd has its own data-root, exec-root, socket, bridge subnet and
# cgroup parent, runs in its own UTS namespace (a node name of its own) and its own mount namespace, where it cannot
# see a system containerd and so always starts its own (also on docker-ce hosts such as GitHub's runners).
# Mounts a node's engine makes (layers, netns, secrets) exist only in its mount namespace: `down` kills every
# process of the node, and they go with the last one.
# The main engine is never touched and never becomes a swarm node. Nothing is kept inside the repository.
# Starting, stopping and finding an engine's processes and mounts: scripts/lib/dockerd.sh (shared with the
# reproducible-build engine, scripts/repro/engine.sh).
#
# Environment: SWARM_BED_DIR (state, default /var/lib/mcp-stack-swarm), SWARM_BED_NET (first three octets of the
# node subnet, default 10.77.11), SWARM_BED_POOL (overlay address pool, default 10.78.0.0/16), SWARM_BED_TMPFS
# (size of the memory file system the three engines keep their data in, default 4g; 0: on disk instead).
# In memory, loading the images and removing the bed take seconds instead of minutes of disk I/O.
set -euo pipefail
# shellcheck source=scripts/lib/dockerd.sh
. "$(dirname "$0")/../lib/dockerd.sh"

readonly nodes=(1 2 3)
readonly prefix=mcpsw
readonly bed_dir=${SWARM_BED_DIR:-/var/lib/mcp-stack-swarm}
readonly net=${SWARM_BED_NET:-10.77.11}
readonly pool=${SWARM_BED_POOL:-10.78.0.0/16}
readonly host_addr=$net.254
readonly tmpfs_size=${SWARM_BED_TMPFS:-4g}

log() { printf '[swarm-bed %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

node_addr() { echo "$net.$1"; }
node_dir() { echo "$bed_dir/node$1"; }
node_sock() { dockerd_sock "$(node_dir "$1")"; }
node_ns() { echo "$prefix-n$1"; }
on() { local n=$1; shift; docker -H "$(node_sock "$n")" "$@"; }

require_tools() {
  local missing=()
  for tool in ip nsenter unshare dockerd containerd docker mount umount; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (Debian: iproute2 util-linux docker.io)"
  [ "$(id -u)" = 0 ] || die "the swarm bed needs root (network namespaces, dockerd)"
  [ -d /sys/module/vxlan ] || modprobe vxlan 2>/dev/null || die "the kernel has no vxlan module: overlay networks cannot work"
}

wait_for() { # seconds description command...
  local limit=$1 what=$2; shift 2
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    [ $((SECONDS - start)) -lt "$limit" ] || return 1
    sleep 0.3
  done
  log "$what after $((SECONDS - start)) s"
}

up() {
  require_tools
  if ip netns list | grep -q "^$prefix-"; then die "a swarm bed already exists (bash $0 down)"; fi
  if ip route show | grep -q "^$net\."; then die "$net.0/24 is already routed on this host; set SWARM_BED_NET"; fi
  mkdir -p "$bed_dir"
  if [ "$tmpfs_size" != 0 ]; then mount -t tmpfs -o "size=$tmpfs_size,mode=0755" mcp-stack-swarm "$bed_dir"; fi

  # The switch: a bridge in its own namespace.
  ip netns add "$prefix-br"
  ip -n "$prefix-br" link set lo up
  ip -n "$prefix-br" link add br0 type bridge
  ip -n "$prefix-br" link set br0 up
  # The host's leg: lets the tests reach each node's published ports and nothing else.
  ip link add "$prefix-host" type veth peer name host netns "$prefix-br"
  ip -n "$prefix-br" link set host master br0 up
  ip addr add "$host_addr/24" dev "$prefix-host"
  ip link set "$prefix-host" up

  for n in "${nodes[@]}"; do
    local ns dir
    ns=$(node_ns "$n")
    dir=$(node_dir "$n")
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip link add "$prefix-n$n" netns "$ns" type veth peer name "n$n" netns "$prefix-br"
    ip -n "$ns" link set "$prefix-n$n" name eth0
    ip -n "$ns" addr add "$(node_addr "$n")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$prefix-br" link set "n$n" master br0 up
    # nsenter, not `ip netns exec` (which remounts /sys and hides the cgroup tree); unshare --uts so each node
    # has its own host name. PREFER_OFFLINE_IMAGE: use the loaded image instead of asking a registry first.
    # --no-new-privileges: Swarm services cannot set security_opt; the engine-wide default gives every task
    # the no-new-privileges hardening compose.prod.yaml sets per container (docs/scaling.md says to do the same).
    # shellcheck disable=SC2016 # expanded by the inner shell: $0 is the node name, $@ dockerd's arguments
    dockerd_start "$dir" nsenter --net="/run/netns/$ns" unshare --uts sh -c '
      hostname "$0"; exec env DOCKER_SERVICE_PREFER_OFFLINE_IMAGE=1 "$@"' "$prefix-node$n" \
      -- --bip "10.79.$n.1/24" --cgroup-parent "$prefix-node$n" --no-new-privileges --log-level warn
  done
  for n in "${nodes[@]}"; do
    wait_for 60 "node$n engine answers" on "$n" info || { tail -n 20 "$(node_dir "$n")/dockerd.log" >&2; die "node$n dockerd did not start"; }
  done

  on 1 swarm init --advertise-addr "$(node_addr 1)" --default-addr-pool "$pool" --dispatcher-heartbeat 1s >/dev/null
  local token
  token=$(on 1 swarm join-token -q worker)
  for n in 2 3; do
    on "$n" swarm join --token "$token" --advertise-addr "$(node_addr "$n")" "$(node_addr 1):2377" >/dev/null
  done
  ready() { [ "$(on 1 node ls --format '{{.Status}}' | grep -c Ready)" = 3 ]; }
  wait_for 60 "3 nodes Ready" ready || die "the workers did not join"
  on 1 node ls >&2
}

load() {
  [ $# -gt 0 ] || die "usage: $0 load IMAGE..."
  local start=$SECONDS pids=()
  for image in "$@"; do docker image inspect "$image" >/dev/null || die "image $image is not on the main engine"; done
  # One export, three imports in parallel (exporting once per node would triple the main engine's work).
  local archive="$bed_dir/images.tar"
  docker save -o "$archive" "$@"
  for n in "${nodes[@]}"; do
    on "$n" load -q -i "$archive" >/dev/null &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "loading images into a node failed"; done
  rm -f "$archive"
  log "loaded $* into ${#nodes[@]} nodes in $((SECONDS - start)) s"
}

# Every process that belongs to node $1: its dockerd/containerd/shims (in its network namespace) and its tasks
# (in its cgroup, whatever namespace they run in).
node_pids() {
  local n=$1
  ip netns pids "$(node_ns "$n")" 2>/dev/null || true
  local ctl
  for ctl in /sys/fs/cgroup/*/"$prefix-node$n" /sys/fs/cgroup/"$prefix-node$n"; do
    [ -d "$ctl" ] && find "$ctl" -name cgroup.procs -exec cat {} + 2>/dev/null
  done
  # Shims outlive a killed dockerd and live in the caller's cgroup: found by the node's directory in their arguments.
  dockerd_pids "$(node_dir "$n")"
  true
}

# Leave the swarm, remove the containers and stop dockerd, gracefully where it still answers.
stop_node() {
  local n=$1
  if dockerd_answers "$(node_dir "$n")"; then timeout 20 docker -H "$(node_sock "$n")" swarm leave --force >/dev/null 2>&1 || true; fi
  dockerd_stop "$(node_dir "$n")"
}

down() {
  local n start=$SECONDS stoppers=()
  for n in "${nodes[@]}"; do stop_node "$n" & stoppers+=($!); done
  wait "${stoppers[@]}" || true
  log "engines stopped after $((SECONDS - start)) s"
  # Whatever survived (a killed dockerd leaves its containers and shims running): kill by PID, twice.
  for round in 1 2; do
    local pids=()
    # Never this script, its parent, or PID 1, whatever a lookup returned.
    for n in "${nodes[@]}"; do mapfile -t -O "${#pids[@]}" pids < <(node_pids "$n" | sort -u | awk -v a=$$ -v b=$PPID '$1 > 1 && $1 != a && $1 != b'); done
    [ ${#pids[@]} -eq 0 ] && break
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.5
    [ "$round" = 2 ] && log "killed ${#pids[@]} leftover processes"
  done
  # Read while the bed's directory (and the nodes' records of their mount namespaces) still exists.
  local survivors=()
  for n in "${nodes[@]}"; do mapfile -t -O "${#survivors[@]}" survivors < <(node_pids "$n" | sort -u | awk -v a=$$ -v b=$PPID '$1 > 1 && $1 != a && $1 != b'); done
  # The bed's memory file system and whatever else of the host's is mounted below it; the nodes' own mounts
  # (layers, netns bind mounts, shm, secrets) lived in their mount namespaces and went with their processes.
  unmount_under "$bed_dir"
  # Cgroups: depth first (a cgroup directory can only be removed once its children are gone).
  for n in "${nodes[@]}"; do
    for ctl in /sys/fs/cgroup/*/"$prefix-node$n" /sys/fs/cgroup/"$prefix-node$n"; do
      [ -d "$ctl" ] && find "$ctl" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  done
  for ns in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 { print $1 }'); do ip netns del "$ns" 2>/dev/null || true; done
  ip link del "$prefix-host" 2>/dev/null || true
  rm -rf "$bed_dir"
  log "mounts, cgroups, namespaces and data removed after $((SECONDS - start)) s"
  local left
  left=$(status 2>&1 || true)
  [ ${#survivors[@]} -eq 0 ] || left+=$'\n'"processes that survived SIGKILL: ${survivors[*]}"
  if [ -n "$left" ]; then log "teardown incomplete:"; echo "$left" >&2; return 1; fi
  log "bed removed"
}

# Prints what is left of a bed; prints nothing when there is none.
status() {
  ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 { print "netns " $1 }'
  ip link show "$prefix-host" >/dev/null 2>&1 && echo "link $prefix-host"
  local n
  for n in "${nodes[@]}"; do
    for ctl in /sys/fs/cgroup/*/"$prefix-node$n" /sys/fs/cgroup/"$prefix-node$n"; do [ -d "$ctl" ] && echo "cgroup $ctl"; done
    local p
    for p in $(node_pids "$n" | sort -u); do echo "process $p: $(ps -o args= -p "$p" | cut -c1-100)"; done
  done
  dockerd_mounts "$bed_dir" | sed 's/^/mount /'
  [ -e "$bed_dir" ] && echo "dir $bed_dir"
  true
}

# Power loss of node $1: every process of the node dies at once; its namespace stays, silent, like a dead host.
kill_node() {
  local n=${1:?node number} pids=()
  mapfile -t pids < <(node_pids "$n" | sort -u | awk -v a=$$ -v b=$PPID '$1 > 1 && $1 != a && $1 != b')
  [ ${#pids[@]} -gt 0 ] || die "node$n has no processes"
  kill -KILL "${pids[@]}" 2>/dev/null || true
  log "node$n killed (${#pids[@]} processes)"
}

case "${1:-}" in
  up) up ;;
  kill) kill_node "${2:-}" ;;
  load) shift; load "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|load IMAGE...|kill N|down|status" >&2; exit 2 ;;
esac
