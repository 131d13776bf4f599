#!/usr/bin/env bash
# Builds (once) the binaries of the single-node test cluster from the Go module proxy:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl (k8s.io/kubernetes),
#   helm (helm.sh/helm/v3), coredns (github.com/coredns/coredns), and the static pause binary.
# Idempotent: each part is skipped when its binary exists under $MCP_STACK_CACHE/k8s; an interrupted build keeps
# what it compiled in the Go build cache there, so the next run resumes. K8S_BUILD_JOBS (default: the number of
# cores) sets go build -p; use 1 on a machine shared with other work.
# Usage: build.sh [all|kube|helm|coredns|pause]...   (default: all)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/../ci/lib.sh"
# shellcheck source=scripts/k8s/versions.sh
. "$here/versions.sh"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
: "${K8S_BUILD_JOBS:=$(nproc 2>/dev/null || echo 1)}"
mkdir -p "$GOCACHE" "$GOMODCACHE" "$K8S_BIN"
command -v go >/dev/null || { echo "build.sh: Go is missing (expected /usr/local/go/bin/go)" >&2; exit 1; }

kube_components=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

build_kube() {
  local missing=() c
  for c in "${kube_components[@]}"; do [ -x "$K8S_BIN/$c" ] || missing+=("./cmd/$c"); done
  if [ ${#missing[@]} = 0 ]; then log "kube binaries $K8S_VERSION: cached"; return 0; fi
  local src="$K8S_CACHE/src" dir
  # The module is published with `replace k8s.io/X => ./staging/src/k8s.io/X` lines and a go.work;
  # outside its git tree we point those replaces at the published staging modules of the same release.
  dir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "build.sh: go mod download k8s.io/kubernetes@$K8S_VERSION gave no directory" >&2; exit 1; }
  rm -rf "$src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  rm -f "$src"/go.work "$src"/go.work.sum
  sed -i -E "s#^([[:space:]]*)(k8s\.io/[A-Za-z0-9._-]+) => \./staging/src/k8s\.io/[A-Za-z0-9._-]+#\1\2 => \2 $K8S_STAGING_VERSION#" "$src/go.mod"
  (cd "$src" && go build -p "$K8S_BUILD_JOBS" -trimpath -ldflags "-s -w \
      -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitTreeState=clean \
      -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION" \
      -o "$K8S_BIN/" "${missing[@]}")
  rm -rf "$src"
}

# go install PKG@VER into a directory of its own, then move the binary to DEST.
go_install() {
  local pkg=$1 dest=$2 tmp
  [ -x "$dest" ] && { log "$(basename "$dest") ($pkg): cached"; return 0; }
  tmp=$(mktemp -d)
  GOBIN="$tmp" go install -p "$K8S_BUILD_JOBS" -trimpath -ldflags "-s -w" "$pkg"
  mkdir -p "$(dirname "$dest")"; mv "$tmp"/* "$dest"; rmdir "$tmp"
}
build_helm() { go_install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" "$HELM_BIN"; }
build_coredns() { go_install "github.com/coredns/coredns@$COREDNS_VERSION" "$COREDNS_BIN"; }

# The pod sandbox binary: Kubernetes' own pause.c from the same module, linked statically.
build_pause() {
  [ -x "$K8S_BIN/pause" ] && { log "pause: cached"; return 0; }
  command -v gcc >/dev/null || apt_install gcc libc6-dev
  local dir
  dir=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  gcc -Os -static -DVERSION="v$PAUSE_VERSION-mcp-stack" -o "$K8S_BIN/pause" "$dir/build/pause/linux/pause.c"
  strip "$K8S_BIN/pause"
}

[ $# -gt 0 ] || set -- all
for part in "$@"; do
  case $part in
    all) step "k8s build: pause" build_pause; step "k8s build: helm $HELM_VERSION" build_helm
         step "k8s build: kube $K8S_VERSION" build_kube; step "k8s build: coredns $COREDNS_VERSION" build_coredns ;;
    kube|helm|coredns|pause) step "k8s build: $part" "build_$part" ;;
    *) echo "usage: build.sh [all|kube|helm|coredns|pause]..." >&2; exit 2 ;;
  esac
done
