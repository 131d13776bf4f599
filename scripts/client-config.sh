#!/usr/bin/env bash
# Prints a ready-to-paste MCP client configuration for the running dev stack (or any deployment):
#   make client-config CLIENT=claude-desktop|claude-code|cursor|vscode|json
# stdout: the configuration only (valid JSON, in the shape that client documents); stderr: where it goes and
# what the client needs for the local CA. Read from the running stack: the HTTPS port Traefik publishes, and the
# token the mcp container runs with (none in dev unless MCP_AUTH_TOKEN is set). Overrides, for other stacks:
#   URL=https://mcp.example.com/mcp   TOKEN=... | TOKEN_FILE=secrets/mcp_auth_token   CACERT=path/to/ca.crt
#   NAME=mcp-stack (the server's name in the client)
set -euo pipefail
cd "$(dirname "$0")/.."

client=${1:-${CLIENT:-}}
name=${NAME:-mcp-stack}
clients='claude-desktop|claude-code|cursor|vscode|json'
say() { printf '%s\n' "$*" >&2; }
die() { say "client-config: $*"; exit 1; }
case "$client" in
  claude-desktop | claude-code | cursor | vscode | json) ;;
  '') die "usage: make client-config CLIENT=$clients" ;;
  *) die "unknown CLIENT \"$client\": use one of $clients" ;;
esac
[[ "$name" =~ ^[a-zA-Z][a-zA-Z0-9_-]*$ ]] || die "NAME must be letters, digits, - and _ (got \"$name\")"

compose() { docker compose -f compose.yaml "$@"; }

url=${URL:-}
if [ -z "$url" ]; then
  port=$(compose port traefik 8443 2>/dev/null | sed 's/.*://') || true
  [ -n "$port" ] || die "the dev stack is not running (start it with: make dev), or pass URL=https://<host>/mcp"
  url="https://mcp.localhost$([ "$port" = 443 ] || echo ":$port")/mcp"
fi
case "$url" in https://* | http://*) ;; *) die "URL must start with https:// (got \"$url\")" ;; esac

token=${TOKEN:-}
if [ -z "$token" ] && [ -n "${TOKEN_FILE:-}" ]; then
  token=$(tr -d '\r\n' <"$TOKEN_FILE") || die "cannot read TOKEN_FILE $TOKEN_FILE"
fi
if [ -z "$token" ] && [ -z "${URL:-}" ]; then
  # The token the running service really has (it reads MCP_AUTH_TOKEN; empty means auth is off in dev).
  container=$(compose ps -q mcp 2>/dev/null | head -n 1)
  [ -n "$container" ] && token=$(docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$container" \
    | sed -n 's/^MCP_AUTH_TOKEN=//p' | head -n 1)
fi
backslash=$'\\'
[[ "$token" =~ ^[[:print:]]*$ && "$token" != *'"'* && "$token" != *"$backslash"* ]] \
  || die "the token holds characters a config file cannot carry as is (quotes, backslashes, control characters)"

ca=${CACERT:-}
if [ -z "$ca" ] && [ -z "${URL:-}" ]; then ca="${TLS_CERT_DIR:-certs}/ca.crt"; fi
if [ -n "$ca" ]; then
  [ -s "$ca" ] || die "no CA certificate at $ca (make certs writes it), or pass CACERT=..."
  ca=$(cd "$(dirname "$ca")" && echo "$PWD/$(basename "$ca")")
fi

# mcp-remote's version: the one the integration test runs (test/package.json), so what we print is what we tested.
mcp_remote=$(sed -n 's/^[[:space:]]*"mcp-remote": "\([^"]*\)".*/\1/p' test/package.json)
[ -n "$mcp_remote" ] || die "mcp-remote is missing from test/package.json"

# JSON string from a shell string (the values are checked above: no quotes, backslashes or control characters).
j() { printf '"%s"' "$1"; }
auth_header=$([ -n "$token" ] && printf 'Bearer %s' "$token" || true)

case "$client" in
  claude-desktop)
    # Claude Desktop starts stdio servers only: mcp-remote bridges stdio to Streamable HTTP. The header goes
    # through an env variable, spelled without spaces in args (some clients split args on spaces).
    args="\"-y\", $(j "mcp-remote@$mcp_remote"), $(j "$url"), \"--transport\", \"http-only\""
    env=''
    if [ -n "$token" ]; then
      # shellcheck disable=SC2016 # a literal ${...}: mcp-remote expands it from "env"
      args+=', "--header", "Authorization:${MCP_STACK_AUTH_HEADER}"'
      env+="$(j MCP_STACK_AUTH_HEADER): $(j "$auth_header")"
    fi
    if [ -n "$ca" ]; then
      [ -n "$env" ] && env+=', '
      env+="$(j NODE_EXTRA_CA_CERTS): $(j "$ca")"
    fi
    printf '{\n  "mcpServers": {\n    %s: {\n      "command": "npx",\n      "args": [%s]%s\n    }\n  }\n}\n' \
      "$(j "$name")" "$args" "$([ -n "$env" ] && printf ',\n      "env": { %s }' "$env")"
    say "Paste into claude_desktop_config.json (Settings > Developer > Edit Config; macOS: ~/Library/Application Support/Claude/,"
    say "Windows: %APPDATA%\\Claude\\), merging \"mcpServers\" with what is there, then restart Claude Desktop. Needs Node (npx)."
    [ -n "$ca" ] && say "The local CA reaches mcp-remote (Node) through NODE_EXTRA_CA_CERTS in \"env\"."
    ;;
  claude-code | cursor)
    headers=''
    [ -n "$token" ] && headers=$(printf ',\n      "headers": { "Authorization": %s }' "$(j "$auth_header")")
    type_line=''
    [ "$client" = claude-code ] && type_line='"type": "http", '
    printf '{\n  "mcpServers": {\n    %s: {\n      %s"url": %s%s\n    }\n  }\n}\n' "$(j "$name")" "$type_line" "$(j "$url")" "$headers"
    if [ "$client" = claude-code ]; then
      say "Save as .mcp.json in your project (project scope), or add it in one command:"
      say "  claude mcp add --transport http$([ -n "$token" ] && printf " --header 'Authorization: %s'" "$auth_header") $name $url"
      [ -n "$ca" ] && say "Claude Code runs on Node: start it with NODE_EXTRA_CA_CERTS=$ca claude"
    else
      say "Paste into ~/.cursor/mcp.json (all projects) or .cursor/mcp.json (this project), merging \"mcpServers\"."
      [ -n "$ca" ] && say "Cursor's MCP client runs on Node: trust $ca in the system store (docs/clients.md), or start Cursor with NODE_EXTRA_CA_CERTS=$ca"
    fi
    [ -n "$token" ] && say "The file now holds the token: keep it out of version control."
    ;;
  vscode)
    # The token is asked for once and kept in VS Code's secret storage, so the file itself holds no secret.
    if [ -n "$token" ]; then
      # shellcheck disable=SC2016 # a literal ${input:...}: VS Code substitutes it
      printf '{\n  "inputs": [\n    { "type": "promptString", "id": "%s-token", "description": "Bearer token of %s (MCP_AUTH_TOKEN)", "password": true }\n  ],\n  "servers": {\n    %s: {\n      "type": "http",\n      "url": %s,\n      "headers": { "Authorization": "Bearer ${input:%s-token}" }\n    }\n  }\n}\n' \
        "$name" "$name" "$(j "$name")" "$(j "$url")" "$name"
      say "VS Code asks for the token when it first starts the server: paste $token"
    else
      printf '{\n  "servers": {\n    %s: {\n      "type": "http",\n      "url": %s\n    }\n  }\n}\n' "$(j "$name")" "$(j "$url")"
    fi
    say "Save as .vscode/mcp.json in your workspace (or MCP: Open User Configuration), merging \"servers\"."
    [ -n "$ca" ] && say "VS Code verifies TLS against the system store: trust $ca there once (docs/clients.md)."
    ;;
  json)
    headers='{}'
    [ -n "$token" ] && headers="{ \"Authorization\": $(j "$auth_header") }"
    printf '{\n  "name": %s,\n  "transport": "streamable-http",\n  "url": %s,\n  "headers": %s,\n  "caFile": %s\n}\n' \
      "$(j "$name")" "$(j "$url")" "$headers" "$([ -n "$ca" ] && j "$ca" || echo null)"
    ;;
esac
exit 0
