# mcp-stack — every day-to-day command. `make` alone lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

COMPOSE      ?= docker compose
COMPOSE_PROD ?= docker compose -f compose.prod.yaml

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

node_modules/.package-lock.json: package-lock.json
	npm ci
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install the npm workspaces (npm ci)

# ---------------------------------------------------------------- tests
.PHONY: test
test: lint test-unit test-integration ## Everything CI runs: lint, unit and conformance tests, Testcontainers integration tests

.PHONY: lint
lint: deps ## Lint and type-check: tsc, Biome (format + lint), image pins, hadolint, shellcheck, actionlint, zizmor
	bash scripts/lint.sh

.PHONY: test-unit
test-unit: deps ## Service tests with real SDK clients plus the MCP conformance suite (no Docker)
	npm test -w services/mcp

.PHONY: test-integration
test-integration: deps ## Testcontainers tests: the real image, the dev stack, the prod stack, reproducible `make build` (needs Docker)
	npm test -w test

# ---------------------------------------------------------------- images
.PHONY: images-offline
images-offline: ## Build every image the stack uses without any registry (our own names); prints the *_IMAGE exports
	bash scripts/images/build-all.sh

# ---------------------------------------------------------------- stack: local dev (compose.yaml)
# GPU=1 adds compose.gpu.yaml (NVIDIA GPU for Ollama). DEV_ENV: the profiles (Ollama only with LLM_PROVIDER=ollama,
# the Inspector unless INSPECTOR=false) and the offline model, worked out once per make run (scripts/dev/compose-env.sh).
DEV_ENV = $(eval DEV_ENV := $$(shell bash scripts/dev/compose-env.sh))$(DEV_ENV)
DEV_COMPOSE = $(DEV_ENV) $(COMPOSE) -f compose.yaml $(if $(GPU),-f compose.gpu.yaml)
# down/clean: every profile, so whatever an earlier `make dev` started goes, whatever the settings are now.
DEV_COMPOSE_ALL = $(DEV_ENV) COMPOSE_PROFILES='*' $(COMPOSE) -f compose.yaml $(if $(GPU),-f compose.gpu.yaml)

.PHONY: dev
dev: doctor certs ## Build and start the dev stack (Traefik+TLS, mcp, Ollama, Inspector), wait until healthy, print the URLs
	$(DEV_COMPOSE) build
	@# Download the model in the foreground first, so its progress is visible (skipped when present; no Ollama, no pull
	@# with another LLM_PROVIDER).
	@if $(DEV_COMPOSE) config --services | grep -x ollama-pull >/dev/null; then $(DEV_COMPOSE) run --rm ollama-pull; fi
	$(DEV_COMPOSE) up -d --wait --remove-orphans
	@$(MAKE) --no-print-directory urls

.PHONY: urls
urls: ## Print the dev stack's URLs (with the published HTTPS port)
	@port=$$($(DEV_COMPOSE) port traefik 8443 2>/dev/null | sed 's/.*://'); \
	[ -n "$$port" ] || { echo "the dev stack is not running: make dev"; exit 1; }; \
	sfx=$$([ "$$port" = 443 ] || echo ":$$port"); \
	echo ""; \
	echo "  MCP (Streamable HTTP)  https://mcp.localhost$$sfx/mcp"; \
	echo "  MCP (legacy SSE)       https://mcp.localhost$$sfx/sse"; \
	echo "  REST API docs          https://mcp.localhost$$sfx/docs"; \
	echo "  Health                 https://mcp.localhost$$sfx/healthz"; \
	[ -z "$$($(DEV_COMPOSE) ps -q inspector 2>/dev/null)" ] || echo "  Inspector              https://inspector.localhost$$sfx"; \
	echo "  Traefik dashboard      https://traefik.localhost$$sfx"; \
	echo ""; \
	echo "  Local CA: $${TLS_CERT_DIR:-certs}/ca.crt (trust it once: docs/clients.md). Hot reload: make watch"; \
	echo "  Connect a client: make client-config CLIENT=claude-desktop|claude-code|cursor|vscode|json"

.PHONY: watch
watch: ## Hot reload: sync edited service sources into the running mcp container (Ctrl-C to stop)
	$(DEV_COMPOSE) watch

.PHONY: down
down: ## Stop the dev stack (keeps the Ollama model volume)
	$(DEV_COMPOSE_ALL) down --remove-orphans

.PHONY: logs
logs: ## Follow the dev stack's logs (SERVICE=mcp for one service)
	$(DEV_COMPOSE) logs -f --tail=200 $(SERVICE)

.PHONY: ps
ps: ## Show the dev stack's containers and their health
	$(DEV_COMPOSE) ps -a

.PHONY: certs
certs: ## Create the local *.localhost TLS certificate in certs/ (mkcert if installed, else an openssl local CA)
	bash scripts/certs.sh

.PHONY: pull-model
pull-model: ## Download OLLAMA_MODEL into the Ollama volume, showing progress (OLLAMA_MODEL=qwen2.5:0.5b make pull-model)
	$(DEV_COMPOSE) run --rm ollama-pull

.PHONY: build
build: ## Build the production image only, reproducibly, as MCP_IMAGE:IMAGE_TAG from .env (docs/deployment.md)
	bash scripts/deploy/build.sh

.PHONY: config
config: ## Render and validate every compose combination: dev, dev+GPU, prod (ACME and file TLS), staging; and your .env
	$(COMPOSE) -f compose.yaml --env-file .env.example config -q
	@# The user's own .env, as make dev would use it (a typo there should fail here, not at start).
	@if [ -f .env ]; then $(DEV_COMPOSE) --env-file .env config -q && echo "config: your .env renders with compose.yaml"; fi
	$(COMPOSE) -f compose.yaml -f compose.gpu.yaml --env-file .env.example config -q
	DOMAIN=mcp.example.com IMAGE_TAG=0.0.0 ACME_EMAIL=ops@example.com \
	  $(COMPOSE) -f compose.prod.yaml --env-file .env.example config -q
	TLS_MODE=file DOMAIN=mcp.example.com IMAGE_TAG=0.0.0 ACME_EMAIL= \
	  $(COMPOSE) -f compose.prod.yaml --env-file .env.example config -q
	$(COMPOSE) -f compose.prod.yaml --env-file .env.staging.example config -q
	@# Production must stay Ollama-free and refuse to render without its required variables.
	@! $(COMPOSE) -f compose.prod.yaml --env-file .env.staging.example config --services | grep -qx 'ollama.*' \
	  || { echo "compose.prod.yaml must not contain Ollama"; exit 1; }
	@! env -u DOMAIN -u IMAGE_TAG -u ACME_EMAIL $(COMPOSE) -f compose.prod.yaml --env-file .env.example config -q 2>/dev/null \
	  || { echo "compose.prod.yaml rendered without DOMAIN/IMAGE_TAG: required variables must fail fast"; exit 1; }
	@echo "config: dev, dev+gpu, prod (acme, file), staging render; prod has no Ollama and fails fast without its variables"

.PHONY: smoke
smoke: ## Probe a live stack like a deploy pipeline: /healthz + first SSE event of /sse (URL=... or the deployment in .env)
	@# Without URL: the deployment .env (or ENV_FILE) describes — its DOMAIN, HTTPS_PORT, CA and token.
	@if [ -n "$(URL)" ]; then bash scripts/smoke.sh "$(URL)"; else bash scripts/deploy/smoke.sh; fi

.PHONY: clean
clean: ## Remove the dev stack with its volumes (the Ollama model too), its locally built images, and dist/
	@# Only the images compose builds (mcp dev, Inspector): pulled or offline-built upstream images stay.
	built=$$($(DEV_COMPOSE_ALL) config --format json | node -e 'const c=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(Object.values(c.services).filter(s=>s.build&&s.image).map(s=>s.image).join(" "))'); \
	$(DEV_COMPOSE_ALL) down --volumes --remove-orphans; \
	[ -z "$$built" ] || docker image rm -f $$built
	rm -rf services/mcp/dist

# ---------------------------------------------------------------- production deploy (compose.prod.yaml, docs/deployment.md)
# Every target reads the deployment's env file: .env, or ENV_FILE=.env.staging. Variables given on the command line
# (make deploy IMAGE_TAG=1.4.3) win over the file, as they do for Compose.
.PHONY: deploy-check
deploy-check: ## Preflight of the deployment in .env: variables, secret files, certificate (file mode), ports, project name
	python3 scripts/deploy/check.py

.PHONY: deploy
deploy: ## Deploy or update production from .env (deploy-check first; replicas replaced one at a time, no downtime)
	bash scripts/deploy/deploy.sh

.PHONY: reload-certs
reload-certs: ## After replacing tls.crt/tls.key in TLS_CERT_DIR: make the running Traefik load them (no restart)
	touch traefik/dynamic/tls.yml

.PHONY: prod-ps
prod-ps: ## Show the production stack's containers (the deployment in .env)
	docker compose -f compose.prod.yaml --env-file $${ENV_FILE:-.env} ps -a

# ---------------------------------------------------------------- benchmarks (not part of `make test`)
.PHONY: bench
bench: deps ## Benchmarks: ours vs the bare SDK per mode, FastMCP and a raw ceiling, in one run (~19 min on 2 cores); writes bench/results/latest.md
	@command -v wrk >/dev/null || { echo "bench: installing wrk (Debian package)"; apt-get install -y wrk; }
	bash bench/peers/setup.sh
	taskset -c $${BENCH_LOAD_CORE:-1} node bench/run.ts

# ---------------------------------------------------------------- swarm: several hosts (docs/scaling.md)
# Run against a Swarm manager: on it, or from anywhere with DOCKER_HOST=ssh://user@manager (or a docker context).
# The stack file is rendered from compose.prod.yaml + deploy/swarm/compose.swarm.yaml (scripts/swarm/render.mjs),
# with the same variables as prod (.env, or ENV_FILE=.env.production); SWARM_FILES adds override files of your own.
STACK         ?= mcp-stack
SWARM_RENDER   = node scripts/swarm/render.mjs --stack $(STACK) $(if $(ENV_FILE),--env-file $(ENV_FILE)) $(foreach f,$(SWARM_FILES),-f $(f))
# e.g. SWARM_DEPLOY_FLAGS=--resolve-image=never on nodes that already hold the images (no registry).
SWARM_DEPLOY_FLAGS ?=

.PHONY: swarm-config
swarm-config: ## Print the Swarm stack file rendered from compose.prod.yaml (what swarm-deploy deploys)
	@$(SWARM_RENDER)

.PHONY: swarm-deploy
swarm-deploy: ## Deploy (or update) the production stack on a Swarm and wait until it converged (docs/scaling.md)
	$(SWARM_RENDER) | docker stack deploy --detach=false $(SWARM_DEPLOY_FLAGS) -c - $(STACK)
	@$(MAKE) --no-print-directory swarm-check-update

.PHONY: swarm-update
swarm-update: ## Rolling update of mcp to another release: make swarm-update IMAGE_TAG=1.4.3 (rolls back by itself on failure)
	@[ "$(origin IMAGE_TAG)" != file ] || { echo "usage: make swarm-update IMAGE_TAG=<release>"; exit 2; }
	IMAGE_TAG=$(IMAGE_TAG) $(SWARM_RENDER) | docker stack deploy --detach=false $(SWARM_DEPLOY_FLAGS) -c - $(STACK)
	@$(MAKE) --no-print-directory swarm-check-update

.PHONY: swarm-check-update
swarm-check-update:
	@# `stack deploy` returns once the tasks run; the update may still be monitoring them: wait for its outcome.
	@for i in $$(seq 600); do \
	  state=$$(docker service inspect --format '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' $(STACK)_mcp); \
	  case "$$state" in updating|rollback_started) sleep 1 ;; *) break ;; esac; \
	done; \
	image=$$(docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' $(STACK)_mcp); \
	case "$$state" in \
	  rollback_*) echo "swarm: the update of $(STACK)_mcp failed and was rolled back ($$state); running $$image"; exit 1 ;; \
	  paused) echo "swarm: the update of $(STACK)_mcp is paused: docker service ps $(STACK)_mcp"; exit 1 ;; \
	  *) echo "swarm: $(STACK)_mcp runs $$image ($${state:-deployed})" ;; \
	esac

.PHONY: swarm-rollback
swarm-rollback: ## Roll mcp back to its previous release (the spec before the last update)
	docker service rollback --detach=false $(STACK)_mcp

.PHONY: swarm-ps
swarm-ps: ## Show the stack's services and where each task runs
	docker stack services $(STACK)
	docker stack ps --no-trunc --format 'table {{.Name}}\t{{.Node}}\t{{.CurrentState}}\t{{.DesiredState}}\t{{.Error}}' $(STACK)

.PHONY: swarm-logs
swarm-logs: ## Follow a service's logs from every node (SERVICE=traefik; default mcp)
	docker service logs -f --tail=200 $(STACK)_$(or $(SERVICE),mcp)

.PHONY: swarm-rm
swarm-rm: ## Remove the stack (secrets and configs too; the ACME directory on the edge node stays)
	docker stack rm --detach=false $(STACK)

.PHONY: test-swarm
test-swarm: deps ## A real 3-node Swarm on this machine (root; network namespaces): deploy, update, rollback, node loss
	cd test && node --test --test-timeout=1500000 swarm/cluster.test.ts

# ---------------------------------------------------------------- hardening: soak (not part of `make test`)
.PHONY: soak
soak: deps ## Soak through the real Traefik: idle streams held, SIGTERM under load, abandoned sessions (~20 min at the defaults; --phases 1,2,3 to run parts); writes bench/results/soak.md (SOAK_ARGS="--streams 2000 --hold-minutes 2" for a shorter run)
	node bench/soak.ts $(SOAK_ARGS)

# ---------------------------------------------------------------- first hour (docs/clients.md, docs/development.md)
.PHONY: doctor
doctor: ## Check what make dev and make test need: Docker, Compose >= 2.22, free ports, disk, openssl, Node 24
	bash scripts/doctor.sh

.PHONY: client-config
client-config: ## Ready-to-paste MCP client config for the running stack (CLIENT=claude-desktop|claude-code|cursor|vscode|json)
	@$(DEV_ENV) bash scripts/client-config.sh "$(CLIENT)"

# ---------------------------------------------------------------- Kubernetes (deploy/kubernetes, docs/kubernetes.md)
.PHONY: test-k8s
test-k8s: deps ## Helm chart on a real single-node Kubernetes built here (cluster up, install, load, upgrade, pod loss, uninstall, down)
	bash scripts/k8s/test.sh

.PHONY: lint-chart
lint-chart: ## Helm chart only: helm lint --strict + rendered variants validated against the Kubernetes API schemas
	bash scripts/k8s/lint-chart.sh

.PHONY: k8s-up k8s-down
k8s-up: ## Start the local single-node test cluster (prints the kubeconfig path; needs root)
	bash scripts/k8s/deps.sh && bash scripts/k8s/build.sh && bash scripts/k8s/up.sh
k8s-down: ## Tear the local test cluster down and check nothing is left
	bash scripts/k8s/down.sh

# ---------------------------------------------------------------- reproducible image (also part of `make test-integration`)
# BUILD_REPRO_ENGINE=current: on the engine DOCKER_HOST names (e.g. Docker Desktop) instead of a throwaway one.
.PHONY: test-build-repro
test-build-repro: deps ## Only the reproducibility test: two `make build`s without cache give one image ID (a throwaway containerd-store engine; root)
	cd test && node --test --test-timeout=1800000 repro/build-repro.test.ts
