#!/usr/bin/env bash
# Ollama (OLLAMA_IMAGE) without a registry: the real server built from the Go module github.com/ollama/ollama
# (cgo, CPU only) at the version in the offline image's tag (images/compose.pins.yaml), plus the tiny model
# mcp-stack-tiny made locally with PyPI gguf and `ollama create`. A pulled upstream image gets the model too, as a
# new image under our own name (mcp-stack-offline/ollama:<upstream tag>). See images/ollama/*Dockerfile.
# Prints the image to use.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

OLLAMA_VERSION=$(image_tag "$(offline_image OLLAMA_IMAGE)")
GGUF_VERSION=0.19.0
TINY_MODEL=mcp-stack-tiny
work="$MCP_STACK_CACHE/ollama-$OLLAMA_VERSION"

export GOMODCACHE="$MCP_STACK_CACHE/go/mod" GOCACHE="$MCP_STACK_CACHE/go/build-cache" GOFLAGS="-mod=mod -buildvcs=false"

build_binary() {
  [ -x "$work/bin/ollama" ] && return 0
  command -v go >/dev/null 2>&1 || { log "go is needed to build Ollama"; return 1; }
  local dir
  dir=$(go mod download -json "github.com/ollama/ollama@v$OLLAMA_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { log "go mod download github.com/ollama/ollama@v$OLLAMA_VERSION gave no source"; return 1; }
  rm -rf "$work/src"
  mkdir -p "$work"
  cp -r "$dir" "$work/src"
  chmod -R u+w "$work/src"
  # Module zips leave out every vendor/ directory, so llama.cpp's vendored single-header libraries
  # are missing; Debian packages the same libraries.
  ensure_trixie_source
  apt_install nlohmann-json3-dev libstb-dev
  apt_install -t trixie libminiaudio-dev
  local vendor="$work/src/llama/llama.cpp/vendor"
  mkdir -p "$vendor/nlohmann" "$vendor/stb" "$vendor/miniaudio"
  cp /usr/include/nlohmann/json.hpp /usr/include/nlohmann/json_fwd.hpp "$vendor/nlohmann/"
  cp /usr/include/stb/stb_image.h "$vendor/stb/"
  cp /usr/include/miniaudio.h "$vendor/miniaudio/"
  log "go build of Ollama $OLLAMA_VERSION (cgo, CPU only; about 15-25 min on 2 cores from nothing)"
  mkdir -p "$work/bin"
  (cd "$work/src" && CGO_ENABLED=1 go build -trimpath \
    -ldflags "-w -s -X github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
    -o "$work/bin/ollama.tmp" .) >"$work/build.log" 2>&1 || {
    grep -v '^go: downloading' "$work/build.log" | tail -n 30 >&2
    return 1
  }
  mv "$work/bin/ollama.tmp" "$work/bin/ollama"
}

gguf_python() {
  local venv="$MCP_STACK_CACHE/venv-gguf-$GGUF_VERSION"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import gguf' 2>/dev/null; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --cert "$CA_BUNDLE" "gguf==$GGUF_VERSION" >&2
  fi
  echo "$venv/bin/python"
}

has_tiny_model() {
  docker run --rm --network none --entrypoint sh "$1" -c \
    "test -f /root/.ollama/models/manifests/registry.ollama.ai/library/$TINY_MODEL/latest" >/dev/null 2>&1
}

# ensure_tiny_model FROM TO: TO is FROM plus the tiny model (nothing to do when FROM has it and TO is FROM), so
# the stack's tests get the same model everywhere and never need a model registry.
ensure_tiny_model() {
  local from=$1 to=$2
  if image_present "$to" && has_tiny_model "$to"; then
    log "$to: has $TINY_MODEL"
    return 0
  fi
  log "$to: $from plus $TINY_MODEL"
  local py ctx
  py=$(gguf_python)
  ctx=$(mktemp -d)
  "$py" "$REPO_ROOT/images/ollama/make_tiny_model.py" "$ctx/$TINY_MODEL.gguf"
  cp "$REPO_ROOT/images/ollama/Modelfile" "$REPO_ROOT/images/ollama/tiny-model.Dockerfile" "$ctx/"
  docker build -q --pull=false --build-arg "OLLAMA_IMAGE=$from" -f "$ctx/tiny-model.Dockerfile" \
    -t "$to" "$ctx" >/dev/null
  rm -rf "$ctx"
  has_tiny_model "$to"
}

build() {
  local tag=$1
  ensure_base_image
  build_binary
  local ctx
  ctx=$(mktemp -d)
  cp "$REPO_ROOT/images/ollama/Dockerfile" "$ctx/"
  cp "$work/bin/ollama" "$ctx/ollama"
  build_image "$tag" "$ctx"
  rm -rf "$ctx"
}

image=$(ensure_image OLLAMA_IMAGE build)
case $image in
  # Ours (built here, or named by OLLAMA_IMAGE): the model goes into the same image.
  mcp-stack-offline/* | "${OLLAMA_IMAGE:-}") target=$image ;;
  # Pulled from upstream: the upstream name stays on upstream's image; ours adds the model.
  *) target="mcp-stack-offline/ollama:$(image_tag "$image")" ;;
esac
ensure_tiny_model "$image" "$target"
echo "$target"
