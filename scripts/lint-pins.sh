#!/usr/bin/env bash
# Fails when a version pinned in images/compose.pins.yaml is written anywhere else (run by scripts/lint.sh).
# Every image reference and every version tag in that file is searched for in the tracked files, except:
# Markdown and bench/results (prose and reports quoting what was measured or documented at the time),
# package-lock.json (npm versions that may equal an image tag by chance), and the `ARG NODE_IMAGE=` default of a
# Dockerfile, which must build on its own and so is allowed only when it equals the pin exactly.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/images/pins.sh
. scripts/images/pins.sh

refs=()
for var in "${PINNED_IMAGE_VARS[@]}"; do
  refs+=("$(pinned_image "$var")" "$(offline_image "$var")") || exit 1
done
node_pin=$(pinned_image NODE_IMAGE) || exit 1

needles=()
for ref in "${refs[@]}"; do
  tag=$(image_tag "$ref")
  needles+=("$ref" "${tag#v}")
done

files=()
while IFS= read -r -d '' f; do
  case $f in
    images/compose.pins.yaml | *.md | bench/results/* | package-lock.json | */package-lock.json) continue ;;
  esac
  [ -f "$f" ] && files+=("$f")
done < <(git ls-files -z --cached --others --exclude-standard)

found=0
for needle in $(printf '%s\n' "${needles[@]}" | sort -u); do
  # A version counts only as a whole token: 1.2.3 must not match 11.2.30.
  pattern="(^|[^0-9A-Za-z.])$(printf '%s' "$needle" | sed 's/[.[\*^$/]/\\&/g')([^0-9A-Za-z]|$)"
  while IFS= read -r hit; do
    [ -n "$hit" ] || continue
    file=${hit%%:*}
    line=${hit#*:}; line=${line#*:}
    case $file in
      *Dockerfile*) [ "$line" = "ARG NODE_IMAGE=$node_pin" ] && continue ;;
    esac
    echo "pins: $hit — '$needle' is pinned in images/compose.pins.yaml; read it from there" >&2
    found=1
  done < <(grep -nE -- "$pattern" "${files[@]}" 2>/dev/null)
done

# The Dockerfiles' NODE_IMAGE defaults must equal the pin.
while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  line=${hit#*:}; line=${line#*:}
  if [ "$line" != "ARG NODE_IMAGE=$node_pin" ]; then
    echo "pins: $hit — must be ARG NODE_IMAGE=$node_pin (images/compose.pins.yaml)" >&2
    found=1
  fi
done < <(grep -nE '^ARG NODE_IMAGE=' "${files[@]}" 2>/dev/null)

if [ "$found" -ne 0 ]; then
  exit 1
fi
echo "pins: ${#refs[@]} image pins appear only in images/compose.pins.yaml"
