#!/usr/bin/env bash
# make build: the production image, and only that, tagged MCP_IMAGE:IMAGE_TAG from the environment or the env
# file (.env, or ENV_FILE) — the reference compose.prod.yaml then runs.
#
# Reproducible: the same commit and lockfile give the same image ID. Every timestamp comes from the commit
# (SOURCE_DATE_EPOCH = committer time): the image's `created` and history (BuildKit), the files' mtimes in the
# layers (BuildKit's rewrite-timestamp), and the org.opencontainers.image.created label.
# Which builders can: Buildx with BuildKit >= 0.13 that exports an image tarball (rewrite-timestamp needs one) —
# an engine with the containerd image store (Docker Engine 29's default for new installs, Docker Desktop, or
# `"features": {"containerd-snapshotter": true}` in daemon.json on Engine >= 26), or a docker-container builder.
# `make test` proves it on a throwaway containerd-store engine (test/repro/build-repro.test.ts).
# Any other builder (the classic image store; an older BuildKit, which ignores SOURCE_DATE_EPOCH silently): this
# script builds anyway, says the image is NOT reproducible and why; BUILD_REPRODUCIBLE=require makes that an error,
# before building where it can tell.
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
# unpack") where it supports it at all. A builder that cannot export a tarball gets the plain path, where the files
# in the new layers keep the build's times: not reproducible.
rewritten=false
# not_reproducible SUBJECT REASON: "build: <ref> is NOT reproducible: ..." before a build, "build: <ref> is <id>, NOT
# reproducible: ..." after one (the image line has the same start whether or not the build is reproducible).
not_reproducible() {
  local msg="build: $1 NOT reproducible: $2"
  msg+=" (needs BuildKit >= 0.13 that exports an image tarball: an engine with the containerd image store, or a"
  msg+=" docker-container Buildx builder; docs/deployment.md)"
  echo "$msg" >&2
}
# Every Buildx driver but `docker` exports tarballs; `docker` (the engine's own BuildKit) only with the containerd
# image store (the classic store refuses: "Docker exporter is not supported for the docker driver").
tarball_export() {
  local driver
  driver=$(docker buildx inspect 2>/dev/null | sed -n 's/^Driver:[[:space:]]*//p' | head -n 1)
  [ -n "$driver" ] || return 1
  [ "$driver" != docker ] && return 0
  docker info --format '{{range .DriverStatus}}{{index . 1}} {{end}}' 2>/dev/null | grep -q 'io\.containerd\.snapshotter'
}
if docker buildx version >/dev/null 2>&1 && tarball_export; then
  tar_dir=$(mktemp -d)
  trap 'rm -rf "$tar_dir"' EXIT
  # shellcheck disable=SC2086
  docker buildx build "${args[@]}" --output "type=docker,name=$ref,dest=$tar_dir/image.tar,rewrite-timestamp=true" \
    ${BUILD_FLAGS:-} .
  docker load --input "$tar_dir/image.tar"
  rewritten=true
elif docker buildx version >/dev/null 2>&1; then
  why="this builder (the engine's classic image store) cannot export an image tarball, so it cannot rewrite the files' times"
  if [ "${BUILD_REPRODUCIBLE:-}" = require ]; then
    not_reproducible "$ref is" "$why; BUILD_REPRODUCIBLE=require: not building"
    exit 1
  fi
  echo "build: $why; building straight into the engine" >&2
  # shellcheck disable=SC2086
  docker buildx build "${args[@]}" --output "type=docker,name=$ref" ${BUILD_FLAGS:-} .
else
  echo "build: docker buildx is not installed (Debian: apt-get install docker-buildx); plain docker build" >&2
  # shellcheck disable=SC2086
  DOCKER_BUILDKIT=1 docker build "${args[@]}" -t "$ref" ${BUILD_FLAGS:-} .
fi

# Both must hold: the builder honoured the pinned time (an older BuildKit, before 0.11, e.g. Docker Engine 20.10's,
# ignores SOURCE_DATE_EPOCH without a word and stamps the build time instead), and the layers' files were rewritten.
id=$(docker image inspect --format '{{.Id}}' "$ref")
image_created=$(date -u -d "$(docker image inspect --format '{{.Created}}' "$ref")" +%s)
if [ "$image_created" = "$SOURCE_DATE_EPOCH" ] && [ "$rewritten" = true ]; then
  echo "build: $ref is $id (timestamps pinned to the commit: the same commit builds the same image ID)" >&2
else
  builder=$(docker buildx inspect 2>/dev/null | sed -n 's/^[[:space:]]*BuildKit[^:]*:[[:space:]]*//Ip' | head -n 1)
  if [ "$image_created" != "$SOURCE_DATE_EPOCH" ]; then
    not_reproducible "$ref is $id," "the builder (BuildKit ${builder:-unknown}) ignored SOURCE_DATE_EPOCH"
  else
    not_reproducible "$ref is $id," "the builder (BuildKit ${builder:-unknown}) left the build's times on the files in its layers"
  fi
  [ "${BUILD_REPRODUCIBLE:-}" = require ] && exit 1
fi
exit 0
