#!/usr/bin/env bash
# wollomatic/socket-proxy:<version> without a registry. Its Go module is refused by the module proxy
# our CI reaches, so this builds the project's own stand-in (images/socket-proxy, Go standard library
# only) that keeps upstream's flags and image layout. Online, the real upstream image is pulled instead.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

SOCKET_PROXY_VERSION=${SOCKET_PROXY_VERSION:-1.12.2}
SOCKET_PROXY_IMAGE=${SOCKET_PROXY_IMAGE:-wollomatic/socket-proxy:$SOCKET_PROXY_VERSION}

build() {
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
  build_image "$SOCKET_PROXY_IMAGE" "$ctx" --label "org.opencontainers.image.description=mcp-stack stand-in for wollomatic/socket-proxy $SOCKET_PROXY_VERSION"
  rm -rf "$ctx"
}

ensure_image "$SOCKET_PROXY_IMAGE" build
