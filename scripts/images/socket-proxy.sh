#!/usr/bin/env bash
# The Docker socket proxy (SOCKET_PROXY_IMAGE) without a registry. Upstream's Go module is refused by the module
# proxy our CI reaches, so this builds the project's own stand-in (images/socket-proxy, Go standard library only)
# that keeps upstream's flags and image layout, under our own name; its tag is the upstream version whose flags
# it follows. Online, the real upstream image is pulled instead. Prints the image to use.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

build() {
  local tag=$1
  local SOCKET_PROXY_VERSION
  SOCKET_PROXY_VERSION=$(image_tag "$tag")
  command -v go >/dev/null 2>&1 || { log "go is needed to build the socket-proxy stand-in"; return 1; }
  local ctx src="$REPO_ROOT/images/socket-proxy"
  ctx=$(mktemp -d)
  cp "$src/Dockerfile" "$ctx/"
  (
    cd "$src"
    export CGO_ENABLED=0 GOFLAGS=-trimpath GOCACHE="$MCP_STACK_CACHE/go/build-cache"
    go build -ldflags "-s -w -X main.version=$SOCKET_PROXY_VERSION-standin" -o "$ctx/socket-proxy" ./cmd/socket-proxy
    go build -ldflags "-s -w" -o "$ctx/healthcheck" ./cmd/healthcheck
  )
  build_image "$tag" "$ctx" --label "org.opencontainers.image.description=mcp-stack stand-in for wollomatic/socket-proxy $SOCKET_PROXY_VERSION"
  rm -rf "$ctx"
}

ensure_image SOCKET_PROXY_IMAGE build
