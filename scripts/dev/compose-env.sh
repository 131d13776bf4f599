#!/usr/bin/env bash
# Prints the variables `make` puts in front of every dev-stack compose command (`NAME=value ...`, nothing when the
# user chose for themselves):
#   COMPOSE_PROFILES  `ollama` only when the provider is Ollama (LLM_PROVIDER=openai starts and pulls nothing),
#                     `inspector` unless INSPECTOR=false.
#   OLLAMA_MODEL      when none is chosen and the Ollama image carries a model for offline use (the offline-built
#                     images carry smollm2-135m), that model: there may be no registry to pull the default from.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/dev/env-value.sh
. scripts/dev/env-value.sh

out=()
if [ -z "$(env_value COMPOSE_PROFILES)" ]; then
  profiles=()
  provider=$(env_value LLM_PROVIDER ollama)
  [ "${provider:-ollama}" = ollama ] && profiles+=(ollama)
  case "$(env_value INSPECTOR true)" in false | 0 | no | off) ;; *) profiles+=(inspector) ;; esac
  out+=("COMPOSE_PROFILES=$(IFS=,; echo "${profiles[*]}")")
fi
if [ -z "$(env_value OLLAMA_MODEL)" ] && [ "$(env_value LLM_PROVIDER ollama)" = ollama ]; then
  # The image compose itself would run (OLLAMA_IMAGE, .env or the compose default): one place for that fact.
  image=$(docker compose -f compose.yaml --profile ollama config --images ollama 2>/dev/null || true)
  offline=$(docker image inspect -f '{{index .Config.Labels "io.mcp-stack.offline-model"}}' "$image" 2>/dev/null || true)
  [ -n "$offline" ] && [ "$offline" != '<no value>' ] && out+=("OLLAMA_MODEL=$offline")
fi
[ "${#out[@]}" -eq 0 ] || echo "${out[*]}"
