#!/usr/bin/env bash
# Builds, without any registry, every image the stack and its tests use, under the tags the compose
# files use. An image that is already present is kept; one that can be pulled is pulled
# (OFFLINE_IMAGES_PULL=0 skips that try). Slow inputs are cached under $MCP_STACK_CACHE by version.
#   make images-offline            everything
#   bash scripts/images/NAME.sh    one image (node, traefik, socket-proxy, ollama)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/images/lib.sh
. "$here/lib.sh"

if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers: start one first (bash scripts/ci/docker.sh does it on Debian)"
  exit 1
fi

failed=()
for image in node traefik socket-proxy ollama; do
  step "image $image" bash "$here/$image.sh" || failed+=("$image")
done
if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
