#!/usr/bin/env bash
# make deploy [IMAGE_TAG=…] [ENV_FILE=.env]: start or update the production stack (compose.prod.yaml) on this host.
#
# 1. deploy-check (scripts/deploy/check.py): nothing starts while it reports a problem.
# 2. First deploy (no mcp replica running): `up -d --wait`.
# 3. Update: the edge (socket proxy, Traefik) is brought up to date (recreated only if its configuration changed),
#    then the mcp replicas are replaced one at a time. For each old replica:
#      a. one new replica starts next to it (compose --scale N+1 --no-recreate);
#      b. it must turn healthy (Docker healthcheck) and show up as UP in Traefik's pool (Traefik's API);
#         otherwise it is removed again, the old replicas keep serving, and the update stops with exit 1;
#      c. the old replica leaves Traefik's pool first (/tmp/leaving makes its healthcheck fail; Traefik routes only
#         to healthy containers), then gets SIGTERM and drains (in-flight calls finish, streams end), then is removed.
# Env: ENV_FILE, HEALTH_TIMEOUT (s, default 180), POOL_TIMEOUT (s, default 60), STOP_TIMEOUT (s, default 30).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/deploy/env.sh
. scripts/deploy/env.sh

health_timeout=${HEALTH_TIMEOUT:-180}
pool_timeout=${POOL_TIMEOUT:-60}
stop_timeout=${STOP_TIMEOUT:-30}
compose=(docker compose -f compose.prod.yaml --env-file "$env_file")

log() { printf 'deploy: %s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

python3 scripts/deploy/check.py --env-file "$env_file"

config=$("${compose[@]}" config --format json)
read -r project image replicas < <(python3 -c '
import json, sys
c = json.load(sys.stdin)
m = c["services"]["mcp"]
print(c["name"], m["image"], (m.get("deploy") or {}).get("replicas") or 1)' <<<"$config")

if ! docker image inspect "$image" >/dev/null 2>&1; then
  log "pulling $image"
  "${compose[@]}" pull mcp
fi

mcp_ids() {
  docker ps -q --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=mcp"
}
mapfile -t old < <(mcp_ids)

if [ "${#old[@]}" -eq 0 ]; then
  log "first deploy of $project: $image x $replicas"
  "${compose[@]}" up -d --wait --remove-orphans
  log "up: $project runs $image x $replicas"
  exit 0
fi

log "updating $project: ${#old[@]} running replica(s) -> $image x $replicas, one at a time"
# The edge first; compose recreates Traefik only if its own configuration changed.
"${compose[@]}" up -d --wait --remove-orphans socket-proxy traefik

backend_ip() {
  docker inspect --format "{{with index .NetworkSettings.Networks \"${project}_backend\"}}{{.IPAddress}}{{end}}" "$1"
}
# Traefik's view of the mcp service, asked from inside the stack (the API listens on :8080, never published).
# Prints "#ok" and then the server URLs Traefik routes to: those in the service's configuration that its health
# check has not marked DOWN (serverStatus lists only checked servers and is rebuilt on every configuration change,
# so an absent entry means "not checked yet", not "gone"). Prints nothing when Traefik could not be asked.
pool() {
  docker exec "$1" node -e '
    fetch("http://traefik:8080/api/http/services/mcp@docker")
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
      .then((s) => {
        console.log("#ok");
        for (const { url } of s.loadBalancer?.servers ?? []) if (s.serverStatus?.[url] !== "DOWN") console.log(url);
      })
      .catch(() => {});' 2>/dev/null || true
}
# in_pool ID URL: 0 when Traefik routes to URL, 1 when it does not, 2 when Traefik could not be asked.
in_pool() {
  local out
  out=$(pool "$1")
  grep -qx '#ok' <<<"$out" || return 2
  grep -qxF "$2" <<<"$out"
}
health() { docker inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1" 2>/dev/null || echo gone; }

remove_new() {
  local id=$1 reason=$2
  log "new replica ${id:0:12} $reason; its last log lines:"
  docker logs --tail 30 "$id" 2>&1 | sed 's/^/  | /' >&2 || true
  docker rm -f "$id" >/dev/null 2>&1 || true
  die "update stopped: the old replicas keep serving (${#old[@]} were running; nothing of theirs was touched by this step)"
}

for o in "${old[@]}"; do
  mapfile -t before < <(mcp_ids)
  "${compose[@]}" up -d --no-deps --no-recreate --scale "mcp=$((${#before[@]} + 1))" mcp
  new=$(comm -13 <(printf '%s\n' "${before[@]}" | sort) <(mcp_ids | sort) | head -n 1)
  [ -n "$new" ] || die "compose started no new mcp replica"
  log "new replica ${new:0:12} started; waiting until it is healthy"
  waited=0
  while :; do
    state=$(health "$new")
    [ "$state" = healthy ] && break
    case $state in unhealthy | exited | dead | gone) remove_new "$new" "is $state" ;; esac
    [ "$waited" -ge "$health_timeout" ] && remove_new "$new" "was not healthy after ${health_timeout}s ($state)"
    sleep 1
    waited=$((waited + 1))
  done
  url="http://$(backend_ip "$new"):8000"
  waited=0
  until in_pool "$new" "$url"; do
    [ "$waited" -ge "$pool_timeout" ] && remove_new "$new" "is healthy but not in Traefik's pool after ${pool_timeout}s"
    sleep 1
    waited=$((waited + 1))
  done
  log "new replica ${new:0:12} is healthy and in Traefik's pool ($url)"

  old_url="http://$(backend_ip "$o"):8000"
  docker exec "$o" node -e 'require("fs").writeFileSync("/tmp/leaving", "")' \
    || log "could not mark ${o:0:12} as leaving; stopping it anyway"
  waited=0
  while :; do
    rc=0
    in_pool "$new" "$old_url" || rc=$?
    [ "$rc" = 1 ] && break
    if [ "$waited" -ge "$pool_timeout" ]; then log "old replica ${o:0:12} still in Traefik's pool after ${pool_timeout}s"; break; fi
    sleep 1
    waited=$((waited + 1))
  done
  log "old replica ${o:0:12} is out of the pool; stopping it (SIGTERM, drain up to ${stop_timeout}s)"
  docker stop --time "$stop_timeout" "$o" >/dev/null
  docker rm "$o" >/dev/null
done

# The replica count may have changed with the update (MCP_REPLICAS).
if [ "$(mcp_ids | wc -l)" -ne "$replicas" ]; then
  "${compose[@]}" up -d --wait --no-deps --no-recreate --scale "mcp=$replicas" mcp
fi
log "done: $project runs $image x $replicas"
