#!/bin/sh
# Starts the Inspector web UI with one server preset: INSPECTOR_SERVER_URL over Streamable HTTP, sending
# MCP_AUTH_TOKEN as a bearer token when one is set. Extra arguments are passed on to the Inspector.
set -eu
# Keep OAuth tokens and other secrets in memory only: a container has no keychain and no volume here.
export MCP_INSPECTOR_SECRET_STORE="${MCP_INSPECTOR_SECRET_STORE:-memory}"
: "${INSPECTOR_SERVER_URL:?set INSPECTOR_SERVER_URL to the MCP endpoint, e.g. http://mcp:8000/mcp}"
if [ -n "${MCP_AUTH_TOKEN:-}" ]; then
  exec mcp-inspector --web --transport http --server-url "$INSPECTOR_SERVER_URL" \
    --header "Authorization: Bearer $MCP_AUTH_TOKEN" "$@"
fi
exec mcp-inspector --web --transport http --server-url "$INSPECTOR_SERVER_URL" "$@"
