#!/usr/bin/env bash
# `make test-k8s`: the Helm chart on a real single-node Kubernetes built on this machine.
#   packages (deps.sh) -> binaries (build.sh, cached) -> two service images (docker build, runtime target) ->
#   cluster up (up.sh) -> images imported into the cluster's containerd -> test/k8s/chart.k8s-test.ts (helm install,
#   real SDK clients, upgrade and pod loss under load, helm test, helm uninstall) -> cluster down (down.sh, also on
#   failure; a teardown that leaves anything behind fails the run). Prints the figures at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/../ci/lib.sh"
# shellcheck source=scripts/k8s/versions.sh
. "$here/versions.sh"
cd "$root"
total_start=$SECONDS
mkdir -p "$K8S_LOGS"
figures="$K8S_LOGS/figures.txt"
: > "$figures"
figure() { echo "$*" >> "$figures"; log "figure: $*"; }

step "k8s packages (Debian)" bash "$here/deps.sh"
t=$SECONDS
step "k8s binaries (Go modules; cached under $MCP_STACK_CACHE/k8s)" bash "$here/build.sh"
figure "binaries (kube $K8S_VERSION, helm $HELM_VERSION, coredns $COREDNS_VERSION, pause): $((SECONDS - t)) s"

# Two builds of the production image (target runtime) that differ in their version label: the upgrade test rolls
# from the first tag to the second.
: "${MCP_K8S_IMAGE:=mcp-stack-test/mcp}"
# The Ollama image: what CI exported (scripts/images/build-all.sh), else our offline build of the pinned one.
# shellcheck source=scripts/images/pins.sh
. "$here/../images/pins.sh"
: "${OLLAMA_IMAGE:=$(offline_image OLLAMA_IMAGE)}"
# K8S_TEST_LLM=standin replaces the real Ollama server with test/k8s/llm-standin.yaml (a fixed-answer stand-in).
: "${K8S_TEST_LLM:=ollama}"
export K8S_TEST_LLM
llm_images=()
if [ "$K8S_TEST_LLM" = ollama ]; then
  docker image inspect "$OLLAMA_IMAGE" >/dev/null 2>&1 ||
    { echo "test-k8s: the image $OLLAMA_IMAGE is missing: build it with scripts/images/build-all.sh (make images-offline)" >&2; exit 1; }
  llm_images=("$OLLAMA_IMAGE")
fi
t=$SECONDS
for tag in k8s-1 k8s-2; do
  step "service image $MCP_K8S_IMAGE:$tag" docker build -q -f services/mcp/Dockerfile --target runtime \
    ${NODE_IMAGE:+--build-arg "NODE_IMAGE=$NODE_IMAGE"} --build-arg "VERSION=0.0.0-$tag" --build-arg "REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    -t "$MCP_K8S_IMAGE:$tag" . >/dev/null
done
figure "service images (2 tags): $((SECONDS - t)) s"

cleanup() {
  local rc=$?
  if ! step "cluster down" bash "$here/down.sh"; then
    log "test-k8s: teardown left something behind (see above)"
    rc=1
  fi
  figure "test-k8s total: $((SECONDS - total_start)) s"
  echo "---- test-k8s figures"
  cat "$figures"
  exit $rc
}
trap cleanup EXIT

t=$SECONDS
kubeconfig=$(bash "$here/up.sh")
figure "cluster up (etcd, control plane, containerd, kubelet, kube-proxy, CoreDNS): $((SECONDS - t)) s"

t=$SECONDS
docker save "$MCP_K8S_IMAGE:k8s-1" "$MCP_K8S_IMAGE:k8s-2" "${llm_images[@]}" |
  ctr --address "$K8S_RUN/containerd.sock" -n k8s.io images import - >/dev/null
figure "images imported into the cluster (docker save | ctr import): $((SECONDS - t)) s"

PATH="$K8S_BIN:${HELM_BIN%/*}:$PATH"
export PATH KUBECONFIG="$kubeconfig"
export K8S_TEST_IMAGE="$MCP_K8S_IMAGE" K8S_TEST_OLLAMA_IMAGE="$OLLAMA_IMAGE" K8S_FIGURES="$figures"
step "chart tests on the cluster" node --test --test-concurrency=1 --test-timeout=1200000 test/k8s/chart.k8s-test.ts
