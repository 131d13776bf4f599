# shellcheck shell=bash
# env_value NAME DEFAULT: NAME's value as compose will see it for the dev stack: the environment first, then the
# last `NAME=` line of .env (quotes stripped), else DEFAULT. Sourced, not executed.
env_value() {
  local name=$1 fallback=${2-}
  if [ -n "${!name+x}" ]; then
    printf '%s' "${!name}"
    return
  fi
  local line=''
  [ -f .env ] && line=$(grep -E "^[[:space:]]*(export[[:space:]]+)?$name=" .env | tail -n 1 || true)
  if [ -n "$line" ]; then
    line=${line#*=}
    line=${line%%[[:space:]]#*}
    line=${line%\"}; line=${line#\"}; line=${line%\'}; line=${line#\'}
    printf '%s' "$line"
    return
  fi
  printf '%s' "$fallback"
}
