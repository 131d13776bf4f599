# shellcheck shell=bash
# Helpers for the offline image builders. Sourced, not executed.
# shellcheck source=scripts/ci/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../ci/lib.sh"
# shellcheck source=scripts/images/pins.sh
. "$(dirname "${BASH_SOURCE[0]}")/pins.sh"

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT
# Bump when the base rootfs recipe changes, so caches and images keyed by it are rebuilt.
BASE_REVISION=1
BASE_IMAGE=${BASE_IMAGE:-mcp-stack/bookworm-minbase:$BASE_REVISION}
CA_BUNDLE=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

image_present() { docker image inspect "$1" >/dev/null 2>&1; }

# True when the image came from a registry (it has a repository digest); a local build under an upstream
# name (what older versions of these scripts made) does not count as upstream.
from_registry() {
  local digests
  digests=$(docker image inspect -f '{{len .RepoDigests}}' "$1" 2>/dev/null) && [ "${digests:-0}" != 0 ]
}

# ensure_image VAR BUILD_FN...: settles which image plays VAR (NODE_IMAGE, TRAEFIK_IMAGE...) on this engine and
# prints its name on stdout. $VAR when set (it must exist); else our offline build when present; else the upstream
# pin when it came from its registry, or can be pulled now (OFFLINE_IMAGES_PULL=0 skips that try); else
# `BUILD_FN OFFLINE_NAME` builds our own name. Upstream names are never given to anything built here.
ensure_image() {
  local var=$1; shift
  local chosen=${!var:-} upstream offline
  if [ -n "$chosen" ]; then
    image_present "$chosen" || { log "$var=$chosen: no such image on this engine"; return 1; }
    log "$chosen: present (from $var)"
    echo "$chosen"
    return 0
  fi
  upstream=$(pinned_image "$var") && offline=$(offline_image "$var") || return 1
  if image_present "$offline"; then
    log "$offline: present"
    echo "$offline"
    return 0
  fi
  if from_registry "$upstream"; then
    log "$upstream: present (pulled earlier)"
    echo "$upstream"
    return 0
  fi
  if [ "${OFFLINE_IMAGES_PULL:-1}" != 0 ] && timeout 120 docker pull -q "$upstream" >/dev/null 2>&1; then
    log "$upstream: pulled from its registry"
    echo "$upstream"
    return 0
  fi
  log "$upstream: not pullable, building $offline"
  "$@" "$offline" || return 1
  image_present "$offline" || { log "$offline: build finished but the image is missing"; return 1; }
  echo "$offline"
}

# Debian bookworm minbase, made by debootstrap once and cached as a tarball, then imported as an image
# that the other builders use as their FROM.
ensure_base_image() {
  image_present "$BASE_IMAGE" && return 0
  local tarball="$MCP_STACK_CACHE/rootfs/bookworm-minbase-$BASE_REVISION.tar"
  if [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    local mirror
    mirror=$(debian_mirror) || return 1
    local rootfs
    rootfs=$(mktemp -d "$MCP_STACK_CACHE/rootfs-XXXXXX")
    log "debootstrap --variant=minbase bookworm (from $mirror)"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$MCP_STACK_CACHE/debootstrap.log" 2>&1 || {
      tail -n 20 "$MCP_STACK_CACHE/debootstrap.log" >&2; return 1; }
    # Slim it the way Debian's docker images are slimmed: no apt lists, caches, docs or man pages.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
      "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
    # The registries' gateway CA: images that run npm/pip/apt over HTTPS need it.
    mkdir -p "$rootfs/etc/ssl/certs"
    cp "$CA_BUNDLE" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    mkdir -p "$MCP_STACK_CACHE/rootfs"
    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  log "importing $BASE_IMAGE"
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    -c 'CMD ["bash"]' \
    "$tarball" "$BASE_IMAGE" >/dev/null
}

# npm_unpack PKG@VERSION DEST: the package's files (its package/ dir) in DEST, cached by name and version.
npm_unpack() {
  local spec=$1 dest=$2
  if [ ! -f "$dest/package.json" ]; then
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$spec" >/dev/null)
    mkdir -p "$tmp/x"
    tar -xzf "$tmp"/*.tgz -C "$tmp/x"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest"
    mv "$tmp/x/package" "$dest"
    rm -rf "$tmp"
  fi
}

# build_image TAG CONTEXT_DIR [docker build args...]: a plain docker build that never pulls.
build_image() {
  local tag=$1 context=$2; shift 2
  docker build -q --pull=false --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$tag" "$@" "$context" >/dev/null
}
