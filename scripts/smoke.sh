#!/usr/bin/env bash
# The probe a deploy pipeline runs against a live stack (make smoke URL=...):
#   1. GET  $URL/healthz answers 2xx
#   2. GET  $URL/sse opens an event stream whose first event is the legacy SSE `endpoint` event
# It goes through everything in front of the service (DNS, TLS, Traefik) and catches the proxy failure that
# matters most for MCP: a stream that is buffered or cut instead of flushed.
#
#   scripts/smoke.sh https://mcp.example.com
# Env: TOKEN or TOKEN_FILE (bearer token, when auth is on), CACERT (CA file; defaults to certs/ca.crt for
# *.localhost URLs), SMOKE_TIMEOUT (seconds per probe, default 10).
set -euo pipefail

url=${1:-${URL:-}}
[ -n "$url" ] || { echo "usage: $0 https://host[:port]   (make smoke URL=https://mcp.localhost)" >&2; exit 2; }
url=${url%/}
timeout=${SMOKE_TIMEOUT:-10}

curl_args=(--silent --show-error --max-time "$timeout")
host=$(printf '%s' "$url" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')
cacert=${CACERT:-}
if [ -z "$cacert" ] && [[ "$host" == localhost || "$host" == *.localhost ]] && [ -s "${TLS_CERT_DIR:-certs}/ca.crt" ]; then
  cacert="${TLS_CERT_DIR:-certs}/ca.crt"
fi
[ -n "$cacert" ] && curl_args+=(--cacert "$cacert")

token=${TOKEN:-}
if [ -z "$token" ] && [ -n "${TOKEN_FILE:-}" ]; then token=$(<"$TOKEN_FILE"); fi

fail() { echo "smoke: FAIL $*" >&2; exit 1; }

status=$(curl "${curl_args[@]}" --output /dev/null --write-out '%{http_code}' "$url/healthz") \
  || fail "$url/healthz: no answer"
[[ "$status" == 2* ]] || fail "$url/healthz answered HTTP $status"
echo "smoke: ok   $url/healthz -> $status"

# Read the stream only until the first event arrives; --max-time bounds a stream that never flushes.
# The token reaches curl as a config line on stdin, so it never shows in `ps`.
auth_config() { if [ -n "$token" ]; then printf 'header = "Authorization: Bearer %s"\n' "$token"; fi; }
first=$(set +o pipefail; auth_config | curl "${curl_args[@]}" --config - --no-buffer \
  --header 'Accept: text/event-stream' "$url/sse" 2>/dev/null | grep -m1 -v '^:' || true)
case "$first" in
  "event: endpoint"*) echo "smoke: ok   $url/sse -> $first" ;;
  "") fail "$url/sse: no event within ${timeout}s (buffered by a proxy, auth refused, or not routed)" ;;
  *) fail "$url/sse: first line was '$first', expected 'event: endpoint'" ;;
esac
