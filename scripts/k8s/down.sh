#!/usr/bin/env bash
# Tears the single-node cluster of up.sh down, in the order that leaves nothing behind, and then checks that
# nothing is left: no processes of ours, no mounts under our directories, no KUBE-*/CNI-* iptables chains, no
# bridge, veth or dummy link, no kubepods cgroups. Safe to run after a failed or partial up.sh, and twice.
# Exit status 1 when something could not be removed (it is listed).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/../ci/lib.sh"
# shellcheck source=scripts/k8s/versions.sh
. "$here/versions.sh"
export PATH="$K8S_BIN:$PATH"
start=$SECONDS

pid_of() { local f="$K8S_RUN/pids/$1.pid"; [ -f "$f" ] && cat "$f"; }
alive() { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }
# stop NAME: SIGTERM the recorded process, wait up to 15 s, then SIGKILL.
stop() {
  local p
  p=$(pid_of "$1") || return 0
  kill -TERM "$p" 2>/dev/null || { rm -f "$K8S_RUN/pids/$1.pid"; return 0; }
  for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$p" 2>/dev/null || true
  rm -f "$K8S_RUN/pids/$1.pid"
}
k() { kubectl --kubeconfig "$K8S_KUBECONFIG" --request-timeout=10s "$@"; }
ctr_() { ctr --address "$K8S_RUN/containerd.sock" -n k8s.io "$@"; }

# 1. Pods first, while kubelet and containerd still run: the kubelet stops each sandbox, which runs the CNI DEL
#    (veth, IPAM lease, firewall and portmap chains). Only then are the node components stopped.
if alive kube-apiserver && alive kubelet; then
  k delete namespaces --all --wait=false --ignore-not-found >/dev/null 2>&1  # default/kube-* are refused; fine
  k delete deployments,daemonsets,statefulsets,replicasets,jobs,pods --all -A --wait=false >/dev/null 2>&1
  for _ in $(seq 1 120); do
    [ -z "$(k get pods -A -o name 2>/dev/null)" ] && break
    sleep 0.5
  done
fi
# 2. Wait for containerd to have no containers and sandboxes left (the kubelet removes them after the pods go).
if alive containerd; then
  for _ in $(seq 1 60); do
    [ -z "$(ctr_ tasks list -q 2>/dev/null)" ] && break
    sleep 0.5
  done
fi
stop kubelet
# Whatever the kubelet did not remove: kill the tasks, delete the containers.
if alive containerd; then
  for t in $(ctr_ tasks list -q 2>/dev/null); do ctr_ tasks kill -s KILL "$t" >/dev/null 2>&1; done
  sleep 1
  for t in $(ctr_ tasks list -q 2>/dev/null); do ctr_ tasks delete -f "$t" >/dev/null 2>&1; done
  for c in $(ctr_ containers list -q 2>/dev/null); do ctr_ containers delete "$c" >/dev/null 2>&1; done
fi
# 3. kube-proxy: stop it, then let it remove its own iptables rules.
stop kube-proxy
kube-proxy --cleanup >/dev/null 2>&1 || true
# 4. The rest of the control plane, then containerd and its shims (found by our socket in their command line).
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd
stop containerd
for p in $(pgrep -f -- "-address $K8S_RUN/containerd.sock" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
for f in "$K8S_RUN"/pids/*.pid; do [ -f "$f" ] && stop "$(basename "$f" .pid)"; done

# 5. Mounts under our directories (pod volumes, sandbox namespaces, overlay snapshots), deepest first.
umount_ours() {
  local m
  awk -v a="$K8S_DATA" -v b="$K8S_RUN" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/mounts | sort -r |
    while IFS= read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
}
umount_ours

# 6. Network: iptables chains of kube-proxy and the CNI plugins, our bridge, veths, the node's dummy link.
remove_chains() { # TABLE
  local table=$1 chain
  local chains
  chains=$(iptables -t "$table" -S 2>/dev/null | awk '$1 == "-N" && ($2 ~ /^KUBE-/ || $2 ~ /^CNI-/) {print $2}')
  [ -n "$chains" ] || return 0
  # Rules in other chains that jump to ours first, then flush and delete ours.
  iptables -t "$table" -S 2>/dev/null | grep -E -- '-j (KUBE|CNI)-' | grep -Ev '^-A (KUBE|CNI)-' |
    sed 's/^-A /-D /' | while read -r rule; do eval "iptables -t $table $rule" 2>/dev/null; done
  for chain in $chains; do iptables -t "$table" -F "$chain" 2>/dev/null; done
  for chain in $chains; do iptables -t "$table" -X "$chain" 2>/dev/null; done
}
for table in filter nat mangle; do remove_chains "$table"; done
ip link show "$K8S_BRIDGE" >/dev/null 2>&1 && ip link delete "$K8S_BRIDGE"
ip -4 addr show dev lo | grep -q "inet $K8S_NODE_IP/32" && ip addr del "$K8S_NODE_IP/32" dev lo
conntrack -D -s "$K8S_POD_CIDR" >/dev/null 2>&1 || true
conntrack -D -d "$K8S_POD_CIDR" >/dev/null 2>&1 || true

# 7. The kubelet's cgroups (cgroupfs driver): kubepods trees in every v1 hierarchy, deepest first.
for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
done
rm -rf "$K8S_DATA" "$K8S_RUN"

# 8. What is left?
left=()
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy; do
  pgrep -f "^($K8S_BIN/)?$b( |$)" >/dev/null 2>&1 && left+=("process $b")
done
pgrep -f "containerd --config $K8S_DATA/containerd.toml" >/dev/null && left+=("process containerd")
pgrep -f -- "-address $K8S_RUN/containerd.sock" >/dev/null && left+=("containerd shims")
awk -v a="$K8S_DATA" -v b="$K8S_RUN" 'index($2, a) == 1 || index($2, b) == 1' /proc/mounts | grep -q . && left+=("mounts")
for table in filter nat mangle; do
  iptables -t "$table" -S 2>/dev/null | grep -Eq '^-N (KUBE|CNI)-' && left+=("iptables chains in $table")
done
ip link show "$K8S_BRIDGE" >/dev/null 2>&1 && left+=("bridge $K8S_BRIDGE")
ip -4 addr show dev lo | grep -q "inet $K8S_NODE_IP/32" && left+=("node address $K8S_NODE_IP on lo")
ls -d /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods >/dev/null 2>&1 && left+=("kubepods cgroups")
if [ ${#left[@]} -gt 0 ]; then
  log "down.sh: left behind: ${left[*]}"
  exit 1
fi
log "cluster down in $((SECONDS - start)) s: no processes, mounts, iptables chains, links or cgroups left"
