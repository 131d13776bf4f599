#!/usr/bin/env bash
# Brings up a real single-node Kubernetes on this machine from the binaries build.sh made and Debian's etcd,
# containerd, runc and CNI plugins: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, a containerd
# of its own (own root, state and socket: Docker's containerd is never touched), kubelet, kube-proxy (iptables),
# CoreDNS. Waits for the node to be Ready and CoreDNS to answer. Prints the kubeconfig path on stdout.
# Everything it starts is recorded in $K8S_RUN/pids; scripts/k8s/down.sh undoes all of it (also after a failure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/../ci/lib.sh"
# shellcheck source=scripts/k8s/versions.sh
. "$here/versions.sh"

for b in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl pause; do
  [ -x "$K8S_BIN/$b" ] || { echo "up.sh: $K8S_BIN/$b is missing: run scripts/k8s/build.sh first" >&2; exit 1; }
done
[ -x "$COREDNS_BIN" ] || { echo "up.sh: $COREDNS_BIN is missing: run scripts/k8s/build.sh first" >&2; exit 1; }
for c in etcd containerd runc conntrack socat openssl docker; do
  command -v "$c" >/dev/null || { echo "up.sh: $c is missing: run scripts/k8s/deps.sh first" >&2; exit 1; }
done
if [ -e "$K8S_RUN/pids" ]; then
  echo "up.sh: a cluster is already up (or was not torn down): run scripts/k8s/down.sh first" >&2
  exit 1
fi

start=$SECONDS
pki="$K8S_DATA/pki"
mkdir -p "$K8S_DATA" "$K8S_RUN/pids" "$K8S_LOGS" "$pki" "$K8S_DATA/cni/net.d"
export PATH="$K8S_BIN:$PATH"

# ---------------------------------------------------------------- node address and kernel settings
# On the loopback device (no dummy link module on these kernels): local to the host, reachable from the pods.
ip addr add "$K8S_NODE_IP/32" dev lo
modprobe br_netfilter 2>/dev/null || true
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

# ---------------------------------------------------------------- PKI (openssl): CA, serving and client certificates
cert() { # NAME SUBJECT [SAN]
  local name=$1 subj=$2 san=${3:-}
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  local ext="$pki/$name.ext"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\n' \
    "$([ -n "$san" ] && echo serverAuth,clientAuth || echo clientAuth)" > "$ext"
  [ -z "$san" ] || echo "subjectAltName=$san" >> "$ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
    -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 \
  -subj "/CN=mcp-stack-k8s-ca" 2>/dev/null
cert apiserver "/CN=kube-apiserver" \
  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:$K8S_SERVICE_IP,IP:127.0.0.1,IP:$K8S_NODE_IP"
cert admin "/O=system:masters/CN=mcp-stack-admin"
cert kubelet "/O=system:nodes/CN=system:node:$K8S_NODE_NAME"
cert controller-manager "/CN=system:kube-controller-manager"
cert scheduler "/CN=system:kube-scheduler"
cert kube-proxy "/CN=system:kube-proxy"
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

kubeconfig() { # NAME -> $K8S_RUN/NAME.kubeconfig with NAME's client certificate
  local f="$K8S_RUN/$1.kubeconfig"
  cat > "$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: mcp-stack-k8s
  cluster: {certificate-authority: $pki/ca.crt, server: "https://$K8S_NODE_IP:$K8S_APISERVER_PORT"}
users:
- name: $1
  user: {client-certificate: $pki/$1.crt, client-key: $pki/$1.key}
contexts:
- name: mcp-stack-k8s
  context: {cluster: mcp-stack-k8s, user: $1}
current-context: mcp-stack-k8s
EOF
}
for c in admin kubelet controller-manager scheduler kube-proxy; do kubeconfig "$c"; done

# run NAME CMD...: start a component in its own session, log to $K8S_LOGS/NAME.log, record its pid.
run() {
  local name=$1; shift
  setsid "$@" > "$K8S_LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$K8S_RUN/pids/$name.pid"
}
# wait_for WHAT SECONDS CMD...: poll until CMD succeeds.
wait_for() {
  local what=$1 limit=$2; shift 2
  local t0=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - t0)) -ge "$limit" ]; then
      echo "up.sh: $what not up after $limit s; its log:" >&2
      tail -n 30 "$K8S_LOGS/$what.log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- etcd
# --unsafe-no-fsync: a throw-away test cluster on a shared disk; durability is not what it tests.
run etcd etcd --name mcp-stack-k8s --data-dir "$K8S_DATA/etcd" --unsafe-no-fsync \
  --listen-client-urls "http://127.0.0.1:$K8S_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$K8S_ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((K8S_ETCD_PORT + 1))" \
  --initial-advertise-peer-urls "http://127.0.0.1:$((K8S_ETCD_PORT + 1))" \
  --initial-cluster "mcp-stack-k8s=http://127.0.0.1:$((K8S_ETCD_PORT + 1))" \
  --listen-metrics-urls "" --log-level warn

# ---------------------------------------------------------------- containerd (our own instance)
cat > "$K8S_DATA/containerd.toml" <<EOF
version = 2
root = "$K8S_DATA/containerd"
state = "$K8S_RUN/containerd"
[grpc]
  address = "$K8S_RUN/containerd.sock"
[ttrpc]
  address = "$K8S_RUN/containerd-ttrpc.sock"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$K8S_PAUSE_IMAGE"
  # Root here may not lower oom_score_adj; without this every pod sandbox fails
  # ("can't get final child's PID from pipe").
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$K8S_DATA/cni/net.d"
[plugins."io.containerd.internal.v1.opt"]
  path = "$K8S_DATA/containerd-opt"
EOF
# The bridge network of the pods. `firewall` admits pod traffic past Docker's FORWARD DROP policy.
cat > "$K8S_DATA/cni/net.d/10-mcp-stack-k8s.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mcp-stack-k8s",
  "plugins": [
    {"type": "bridge", "bridge": "$K8S_BRIDGE", "isGateway": true, "ipMasq": true, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$K8S_POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$K8S_DATA/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall", "backend": "iptables"}
  ]
}
EOF
run containerd containerd --config "$K8S_DATA/containerd.toml"
ctr_() { ctr --address "$K8S_RUN/containerd.sock" -n k8s.io "$@"; }
wait_for containerd 30 ctr_ version

# ---------------------------------------------------------------- images the cluster itself needs, built locally
# FROM scratch images of the static pause binary and CoreDNS, under names of our own, imported into our containerd.
scratch_image() { # TAG BINARY ENTRY
  local ctx
  ctx=$(mktemp -d)
  cp "$2" "$ctx/$3"
  printf 'FROM scratch\nCOPY %s /%s\nENTRYPOINT ["/%s"]\n' "$3" "$3" "$3" > "$ctx/Dockerfile"
  docker build -q -t "$1" "$ctx" >/dev/null
  rm -rf "$ctx"
  docker save "$1" | ctr_ images import - >/dev/null
}
scratch_image "$K8S_PAUSE_IMAGE" "$K8S_BIN/pause" pause
scratch_image "$K8S_COREDNS_IMAGE" "$COREDNS_BIN" coredns

wait_for etcd 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$K8S_ETCD_PORT"

# ---------------------------------------------------------------- control plane
run kube-apiserver kube-apiserver \
  --etcd-servers "http://127.0.0.1:$K8S_ETCD_PORT" \
  --bind-address "$K8S_NODE_IP" --advertise-address "$K8S_NODE_IP" --secure-port "$K8S_APISERVER_PORT" \
  --service-cluster-ip-range "$K8S_SERVICE_CIDR" --service-node-port-range 30000-32767 \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --authorization-mode Node,RBAC --allow-privileged=true --profiling=false
wait_for kube-apiserver 60 kubectl --kubeconfig "$K8S_KUBECONFIG" get --raw /readyz

run kube-controller-manager kube-controller-manager --kubeconfig "$K8S_RUN/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$K8S_RUN/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$K8S_RUN/controller-manager.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --use-service-account-credentials=true \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
  --service-cluster-ip-range "$K8S_SERVICE_CIDR" --allocate-node-cidrs=false \
  --node-monitor-grace-period 20s --profiling=false
run kube-scheduler kube-scheduler --kubeconfig "$K8S_RUN/scheduler.kubeconfig" \
  --authentication-kubeconfig "$K8S_RUN/scheduler.kubeconfig" \
  --authorization-kubeconfig "$K8S_RUN/scheduler.kubeconfig" \
  --bind-address 127.0.0.1 --leader-elect=false --profiling=false

k() { kubectl --kubeconfig "$K8S_KUBECONFIG" "$@"; }
# ---------------------------------------------------------------- kubelet and kube-proxy
cat > "$K8S_DATA/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
address: $K8S_NODE_IP
healthzBindAddress: 127.0.0.1
readOnlyPort: 0
cgroupDriver: cgroupfs
clusterDNS: [$K8S_DNS_IP]
clusterDomain: cluster.local
failSwapOn: false
resolvConf: /etc/resolv.conf
containerRuntimeEndpoint: unix://$K8S_RUN/containerd.sock
# Images are imported, never pulled; keep the kubelet from collecting them or evicting pods for disk pressure.
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
podPidsLimit: 4096
EOF
run kubelet kubelet --config "$K8S_DATA/kubelet.yaml" --kubeconfig "$K8S_RUN/kubelet.kubeconfig" \
  --root-dir "$K8S_DATA/kubelet" --cert-dir "$K8S_DATA/kubelet/pki" --hostname-override "$K8S_NODE_NAME" \
  --node-ip "$K8S_NODE_IP"
cat > "$K8S_DATA/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: $K8S_POD_CIDR
hostnameOverride: $K8S_NODE_NAME
bindAddress: 127.0.0.1
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
clientConnection: {kubeconfig: $K8S_RUN/kube-proxy.kubeconfig}
# Leave the host's conntrack table size alone.
conntrack: {maxPerCore: 0, min: 0}
iptables: {localhostNodePorts: true}
EOF
run kube-proxy kube-proxy --config "$K8S_DATA/kube-proxy.yaml"

wait_for kubelet 90 sh -c "kubectl --kubeconfig '$K8S_KUBECONFIG' get node '$K8S_NODE_NAME' -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"

# ---------------------------------------------------------------- CoreDNS (no upstream: the cluster is offline)
k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: mcp-stack-coredns}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: mcp-stack-coredns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: mcp-stack-coredns}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
        }
        cache 30
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      serviceAccountName: coredns
      dnsPolicy: Default
      containers:
      - name: coredns
        image: $K8S_COREDNS_IMAGE
        imagePullPolicy: Never
        args: [-conf, /etc/coredns/Corefile]
        volumeMounts: [{name: config, mountPath: /etc/coredns}]
        readinessProbe: {httpGet: {path: /ready, port: 8181}, periodSeconds: 2}
        resources: {requests: {cpu: 50m, memory: 32Mi}, limits: {memory: 128Mi}}
      volumes: [{name: config, configMap: {name: coredns}}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $K8S_DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, protocol: TCP}
EOF
k -n kube-system rollout status deployment/coredns --timeout=120s >/dev/null

log "cluster up in $((SECONDS - start)) s: node $K8S_NODE_NAME Ready, CoreDNS ready"
echo "K8S_UP_SECONDS=$((SECONDS - start))" > "$K8S_RUN/figures"
echo "$K8S_KUBECONFIG"
