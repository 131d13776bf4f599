# shellcheck shell=bash
# Reads images/compose.pins.yaml, the one place image versions are pinned. Sourced, not executed.
#   pinned_image VAR    the upstream image users pull (the `${VAR:-default}` default)
#   offline_image VAR   our registry-free build of it (x-offline-images)
PINS_FILE="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/images/compose.pins.yaml"

pinned_image() {
  local value
  value=$(sed -n "s/^ *image: \${$1:-\(.*\)}\$/\1/p" "$PINS_FILE")
  [ -n "$value" ] || { echo "pins: no image for $1 in $PINS_FILE" >&2; return 1; }
  echo "$value"
}

offline_image() {
  local value
  value=$(sed -n "s/^ *$1: \(mcp-stack-offline\/.*\)\$/\1/p" "$PINS_FILE")
  [ -n "$value" ] || { echo "pins: no offline image for $1 in $PINS_FILE" >&2; return 1; }
  echo "$value"
}

# The tag of an image reference: `example/name:1.2.3` → `1.2.3`.
image_tag() { echo "${1##*:}"; }

# The variables pinned there (read by the scripts that source this file).
# shellcheck disable=SC2034
PINNED_IMAGE_VARS=(NODE_IMAGE TRAEFIK_IMAGE SOCKET_PROXY_IMAGE OLLAMA_IMAGE)
