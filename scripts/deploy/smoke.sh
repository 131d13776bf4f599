#!/usr/bin/env bash
# make smoke without URL=: probe the deployment the env file describes (.env, or ENV_FILE) with scripts/smoke.sh.
#   URL     https://$DOMAIN, plus :$HTTPS_PORT unless it is 443 (empty HTTPS_PORT: the port Docker published)
#   TOKEN   from $SECRETS_DIR/mcp_auth_token (TOKEN or TOKEN_FILE in the environment win)
#   CACERT  $TLS_CERT_DIR/ca.crt with TLS_MODE=file when it exists (a private CA); else the system's trust store
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/deploy/env.sh
. scripts/deploy/env.sh

[ -f "$env_file" ] || { echo "usage: make smoke URL=https://mcp.example.com [TOKEN=...|TOKEN_FILE=...] [CACERT=...] (or an env file: $env_file is missing)" >&2; exit 2; }
domain=$(env_value DOMAIN)
[ -n "$domain" ] || { echo "smoke: DOMAIN is not set in $env_file (or pass URL=https://…)" >&2; exit 2; }
# As compose.prod.yaml reads it (${HTTPS_PORT-443}): unset means 443, empty means Docker picked a port.
if [ -n "${HTTPS_PORT+x}" ]; then
  port=$HTTPS_PORT
elif grep -q '^[[:space:]]*HTTPS_PORT=' "$env_file"; then
  port=$(env_value HTTPS_PORT)
else
  port=443
fi
[ -n "$port" ] || port=$(docker compose -f compose.prod.yaml --env-file "$env_file" port traefik 8443 | sed 's/.*://')
url="https://$domain"
[ "$port" = 443 ] || url+=":$port"

if [ -z "${TOKEN:-}" ] && [ -z "${TOKEN_FILE:-}" ]; then
  token_file="$(env_value SECRETS_DIR ./secrets)/mcp_auth_token"
  [ -r "$token_file" ] && export TOKEN_FILE="$token_file"
fi
if [ -z "${CACERT:-}" ] && [ "$(env_value TLS_MODE acme)" = file ]; then
  ca="$(env_value TLS_CERT_DIR ./certs)/ca.crt"
  [ -s "$ca" ] && export CACERT="$ca"
fi
echo "smoke: $url (from $env_file${CACERT:+, CA $CACERT}${TOKEN_FILE:+, token from $TOKEN_FILE})" >&2
exec bash scripts/smoke.sh "$url"
