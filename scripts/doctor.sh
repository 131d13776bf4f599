#!/usr/bin/env bash
# make doctor (run first by make dev): checks what the dev stack and the tests need, and says what to do for each
# thing that is missing. Exit 1 when something make dev needs is missing; warnings (Node for make test, low disk)
# do not fail it.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/dev/env-value.sh
. scripts/dev/env-value.sh

MIN_COMPOSE=2.22.0
MIN_DISK_GB=${DOCTOR_MIN_DISK_GB:-3}
NODE_MAJOR=$(sed 's/^v//; s/\..*//' .node-version 2>/dev/null || echo 24)
failures=0
ok() { printf '  ok    %s\n' "$*"; }
warn() { printf '  warn  %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }
# version_ge A B: A >= B for dotted versions.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]; }

echo "doctor: checking what make dev needs"

docker_ok=false
if ! command -v docker >/dev/null 2>&1; then
  fail "docker: not installed. Install Docker Desktop (macOS, Windows) or Docker Engine with the compose plugin (Linux): https://docs.docker.com/engine/install/"
elif ! err=$(docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null); then
  case "$err" in
    *permission\ denied*) fail "docker: no permission on the Docker socket. Add yourself to the docker group (sudo usermod -aG docker \$USER, then log in again) or use rootless Docker" ;;
    *) fail "docker: the engine does not answer. Start Docker Desktop, or the engine (sudo systemctl start docker). ($(echo "$err" | head -n 1))" ;;
  esac
else
  docker_ok=true
  ok "docker: engine $(docker info --format '{{.ServerVersion}}' 2>/dev/null) answers"
fi

if command -v docker >/dev/null 2>&1; then
  compose_version=$(docker compose version --short 2>/dev/null | sed 's/^v//; s/[-+].*//')
  if [ -z "$compose_version" ]; then
    fail "compose: 'docker compose' (v2) is missing. Install the compose plugin (Debian/Ubuntu: docker-compose-plugin) or update Docker Desktop"
  elif ! version_ge "$compose_version" "$MIN_COMPOSE"; then
    fail "compose: $compose_version is older than $MIN_COMPOSE (needed for make watch and optional depends_on). Update the compose plugin or Docker Desktop"
  else
    ok "compose: $compose_version"
  fi
fi

# The published ports: free, or ours already (a running dev stack of this project).
bind=$(env_value BIND_ADDRESS 127.0.0.1)
[ "$bind" = 0.0.0.0 ] && bind=127.0.0.1
ours=''
$docker_ok && ours=$(docker compose -f compose.yaml port traefik 8000 2>/dev/null; docker compose -f compose.yaml port traefik 8443 2>/dev/null)
for pair in HTTP_PORT:80 HTTPS_PORT:443; do
  var=${pair%%:*}
  port=$(env_value "$var" "${pair#*:}")
  if [ -z "$port" ]; then
    ok "$var: empty, Docker picks a free port"
  elif [[ ! "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    fail "$var: \"$port\" is not a port number. Set $var to a free port (e.g. ${var}=$([ "$var" = HTTP_PORT ] && echo 8080 || echo 8443)) in .env"
  elif grep -q ":$port\$" <<<"$ours"; then
    ok "$var: $port is this dev stack's own"
  elif (exec 3<>"/dev/tcp/$bind/$port") 2>/dev/null; then
    fail "$var: $bind:$port is taken by another program. Stop it, or pick another port: ${var}=$([ "$var" = HTTP_PORT ] && echo 8080 || echo 8443) make dev (or set it in .env)"
  else
    ok "$var: $bind:$port is free"
  fi
done

# Disk where Docker keeps images and volumes (the images and the default model need about 1.5 GB).
dir=$($docker_ok && docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
[ -n "$dir" ] && [ -d "$dir" ] || dir=.
free_kb=$(df -Pk "$dir" 2>/dev/null | awk 'NR == 2 {print $4}')
if [ -z "$free_kb" ]; then
  warn "disk: could not tell the free space of $dir"
elif [ "$free_kb" -lt $((MIN_DISK_GB * 1024 * 1024)) ]; then
  fail "disk: $((free_kb / 1024 / 1024)) GB free under $dir, less than ${MIN_DISK_GB} GB. Free some: docker system df, then docker image prune / docker builder prune"
else
  ok "disk: $((free_kb / 1024 / 1024)) GB free under $dir"
fi

if command -v mkcert >/dev/null 2>&1; then
  ok "certificates: mkcert"
elif command -v openssl >/dev/null 2>&1; then
  ok "certificates: openssl (make certs makes a local CA)"
else
  fail "certificates: neither openssl nor mkcert is installed. Install openssl (apt/dnf/brew install openssl) or mkcert"
fi

if ! command -v node >/dev/null 2>&1; then
  warn "node: not installed. make dev does not need it; make test does: install Node $NODE_MAJOR (.node-version), e.g. with fnm or nvm"
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt "$NODE_MAJOR" ]; then
  warn "node: $(node --version) is older than $NODE_MAJOR. make dev does not need it; make test does: install Node $NODE_MAJOR (.node-version), e.g. fnm use"
else
  ok "node: $(node --version) (for make test)"
fi

if [ "$failures" -gt 0 ]; then
  echo "doctor: $failures problem(s) above; fix them and run make doctor again"
  exit 1
fi
echo "doctor: ready for make dev"
