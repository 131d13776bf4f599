# shellcheck shell=bash
# shellcheck disable=SC2034  # sourced: the variables are used by the scripts that source this file
# Versions of everything the single-node test cluster is built from. Sourced, not executed.
# One place: scripts/k8s/build.sh, up.sh and the lint step read these.
K8S_VERSION=v1.33.13          # k8s.io/kubernetes module: apiserver, controller-manager, scheduler, kubelet, kube-proxy
K8S_STAGING_VERSION=v0.33.13  # the published k8s.io/* staging modules of that release
HELM_VERSION=v3.22.0          # helm.sh/helm/v3
COREDNS_VERSION=v1.14.7       # github.com/coredns/coredns
PAUSE_VERSION=3.10            # our pause image tag (built from Kubernetes' own pause.c of K8S_VERSION)
KUBERNETES_VALIDATE_VERSION=1.37.0  # PyPI kubernetes-validate (ships the API schemas)

: "${MCP_STACK_CACHE:=/var/cache/mcp-stack}"
K8S_CACHE="$MCP_STACK_CACHE/k8s/$K8S_VERSION"
K8S_BIN="$K8S_CACHE/bin"
HELM_BIN="$MCP_STACK_CACHE/k8s/helm-$HELM_VERSION/helm"
COREDNS_BIN="$MCP_STACK_CACHE/k8s/coredns-$COREDNS_VERSION/coredns"
# One Go build and module cache for all three builds, kept across runs (about 3 GB).
export GOCACHE="$MCP_STACK_CACHE/k8s/gocache"
export GOMODCACHE="$MCP_STACK_CACHE/k8s/gomodcache"

# The cluster's own addresses, names and directories (nothing shared with Docker's containerd or the main engine).
K8S_NODE_NAME=mcp-stack-k8s
K8S_NODE_IP=10.217.255.1            # a /32 on lo, so nothing of the cluster binds the host's NIC
K8S_POD_CIDR=10.217.0.0/24
K8S_BRIDGE=mcpk8s0
K8S_SERVICE_CIDR=10.217.128.0/24
K8S_SERVICE_IP=10.217.128.1         # the `kubernetes` service (first address of the range)
K8S_DNS_IP=10.217.128.10
K8S_APISERVER_PORT=16443
K8S_ETCD_PORT=12379
K8S_DATA=/var/lib/mcp-stack-k8s     # containerd root, etcd, kubelet root, PKI: deleted by down.sh
K8S_RUN=/run/mcp-stack-k8s          # sockets, containerd state, pid files: deleted by down.sh
K8S_LOGS=${K8S_LOGS:-/tmp/mcp-stack-k8s-logs}  # component logs: kept after down.sh for diagnosis
K8S_KUBECONFIG="$K8S_RUN/admin.kubeconfig"
K8S_PAUSE_IMAGE="mcp-stack-k8s/pause:$PAUSE_VERSION"
K8S_COREDNS_IMAGE="mcp-stack-k8s/coredns:$COREDNS_VERSION"
