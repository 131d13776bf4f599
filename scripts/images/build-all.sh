#!/usr/bin/env bash
# Settles, without needing any registry, every image the stack and its tests use: one already present is kept
# (our offline build, or upstream's image pulled earlier); the upstream release pinned in images/compose.pins.yaml
# is pulled where a registry answers (OFFLINE_IMAGES_PULL=0 skips that try); otherwise our own build is made under
# our own name (mcp-stack-offline/...). Slow inputs are cached under $MCP_STACK_CACHE by version.
# Prints, on stdout, the `export *_IMAGE=...` lines that point the compose stacks and the tests at those images:
#   eval "$(bash scripts/images/build-all.sh)"    (what .ci/run does; also before running one test file by hand)
#   bash scripts/images/NAME.sh                   one image (node, traefik, socket-proxy, ollama): prints its name
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/images/lib.sh
. "$here/lib.sh"

if ! docker info >/dev/null 2>&1; then
  log "no Docker engine answers: start one first (bash scripts/ci/docker.sh does it on Debian)"
  exit 1
fi

failed=()
exports=()
for image in node traefik socket-proxy ollama; do
  var=$(echo "${image}_IMAGE" | tr 'a-z-' 'A-Z_')
  if chosen=$(step "image $image" bash "$here/$image.sh"); then
    exports+=("export $var=$chosen")
    # Which version runs, next to what users pull: the two differ where the offline build lags.
    log "$var=$chosen (users pull $(pinned_image "$var"))"
  else
    failed+=("$image")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  log "failed: ${failed[*]}"
  exit 1
fi
printf '%s\n' "${exports[@]}"
