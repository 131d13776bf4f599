# Sourced by the deploy scripts: the deployment's env file and how to read one value from it.
# A variable set in the environment wins over the env file, as it does for Compose.
# shellcheck shell=bash
env_file=${ENV_FILE:-.env}

# env_value NAME [DEFAULT]: NAME from the environment, else from $env_file (last assignment), else DEFAULT.
env_value() {
  local name=$1 default=${2-} value
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  value=$( { [ -f "$env_file" ] && sed -n "s/^[[:space:]]*\(export[[:space:]]\+\)\?${name}=//p" "$env_file"; } | tail -n 1)
  value=${value%%[[:space:]]#*}
  value=${value%"${value##*[![:space:]]}"}
  case $value in \"*\") value=${value:1:-1} ;; \'*\') value=${value:1:-1} ;; esac
  printf '%s' "${value:-$default}"
}
