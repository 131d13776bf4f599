# Shared helpers for the CI/bootstrap scripts. Sourced, not executed.
# Everything slow is cached under MCP_STACK_CACHE (outside the clone), keyed by version.
: "${MCP_STACK_CACHE:=/var/cache/mcp-stack}"
export MCP_STACK_CACHE
mkdir -p "$MCP_STACK_CACHE"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# step NAME CMD...: run a step and print how long it took.
step() {
  local name=$1; shift
  local start=$SECONDS
  log "==> $name"
  "$@"
  local rc=$?
  log "<== $name: $((SECONDS - start)) s (exit $rc)"
  return $rc
}
