#!/usr/bin/env bash
# make build: the production image, and only that, tagged MCP_IMAGE:IMAGE_TAG from the environment or the env
# file (.env, or ENV_FILE) — the reference compose.prod.yaml then runs.
#
# Reproducible: the same commit and lockfile give the same image ID. Every timestamp comes from the commit
# (SOURCE_DATE_EPOCH = committer time): the image's `created` and history (BuildKit), the files' mtimes in the
# layers (BuildKit's rewrite-timestamp), and the org.opencontainers.image.created label.
# Needs Buildx and a BuildKit that supports both (>= 0.13: Docker Engine >= 26, or a docker-container builder).
# An older builder ignores them silently; this script notices (the image's `created` is not the commit time), says
# so, and keeps the image (BUILD_REPRODUCIBLE=require makes that an error).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/deploy/env.sh
. scripts/deploy/env.sh

image=$(env_value MCP_IMAGE mcp-stack/mcp)
tag=$(env_value IMAGE_TAG local)
node_image=$(env_value NODE_IMAGE)
ref="$image:$tag"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null) || {
    echo "build: not a git checkout: set SOURCE_DATE_EPOCH (seconds since 1970) to pin the image's timestamps" >&2
    exit 2
  }
fi
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
# A checkout with uncommitted changes is not the commit: say so in the revision label.
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain -- services/mcp package.json package-lock.json 2>/dev/null)" ]; then
  revision="$revision-dirty"
fi
version=$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' services/mcp/package.json | head -n 1)
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

args=(-f services/mcp/Dockerfile --target runtime
  --build-arg "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
  --build-arg "VERSION=${version:-0.0.0}" --build-arg "REVISION=$revision" --build-arg "CREATED=$created")
[ -n "$node_image" ] && args+=(--build-arg "NODE_IMAGE=$node_image")

echo "build: $ref from commit ${revision} (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, $created)" >&2
# `docker buildx build` is the only way to pass rewrite-timestamp. The image goes through a tarball and
# `docker load`: the builder's exporter straight into the engine (moby) refuses rewrite-timestamp ("conflicts with
# unpack") where it supports it at all. A builder that cannot export a tarball gets the plain path.
if docker buildx version >/dev/null 2>&1; then
  tar_dir=$(mktemp -d)
  trap 'rm -rf "$tar_dir"' EXIT
  # shellcheck disable=SC2086
  if docker buildx build "${args[@]}" --output "type=docker,name=$ref,dest=$tar_dir/image.tar,rewrite-timestamp=true" \
    ${BUILD_FLAGS:-} . && [ -s "$tar_dir/image.tar" ]; then
    docker load --input "$tar_dir/image.tar"
  else
    echo "build: this builder cannot export a tarball; building straight into the engine" >&2
    # shellcheck disable=SC2086
    docker buildx build "${args[@]}" --output "type=docker,name=$ref" ${BUILD_FLAGS:-} .
  fi
else
  echo "build: docker buildx is not installed (Debian: apt-get install docker-buildx); plain docker build" >&2
  # shellcheck disable=SC2086
  DOCKER_BUILDKIT=1 docker build "${args[@]}" -t "$ref" ${BUILD_FLAGS:-} .
fi

# Whether the builder honoured the pinned time: an older BuildKit (before 0.11, e.g. Docker Engine 20.10's)
# ignores SOURCE_DATE_EPOCH and rewrite-timestamp without a word, and stamps the build time instead.
id=$(docker image inspect --format '{{.Id}}' "$ref")
image_created=$(date -u -d "$(docker image inspect --format '{{.Created}}' "$ref")" +%s)
if [ "$image_created" = "$SOURCE_DATE_EPOCH" ]; then
  echo "build: $ref is $id (timestamps pinned to the commit: the same commit builds the same image ID)" >&2
else
  builder=$(docker buildx inspect 2>/dev/null | sed -n 's/^[[:space:]]*BuildKit[^:]*:[[:space:]]*//Ip' | head -n 1)
  msg="build: $ref is $id, NOT reproducible: the builder (BuildKit ${builder:-unknown}) ignored SOURCE_DATE_EPOCH"
  msg+=" (needs BuildKit >= 0.13: Docker Engine >= 26, or a docker-container Buildx builder)"
  echo "$msg" >&2
  [ "${BUILD_REPRODUCIBLE:-}" = require ] && exit 1
fi
exit 0
