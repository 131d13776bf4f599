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
lint: deps ## Lint and type-check: tsc, hadolint, shellcheck, actionlint, zizmor
	bash scripts/lint.sh

.PHONY: test-unit
test-unit: deps ## Service tests with real SDK clients plus the MCP conformance suite (no Docker)
	npm test -w services/mcp

.PHONY: test-integration
test-integration: deps ## Testcontainers tests: the real image, the dev stack and the prod stack (needs Docker)
	npm test -w test

# ---------------------------------------------------------------- images
.PHONY: images-offline
images-offline: ## Build every image the stack uses without any registry (air-gapped networks, our CI)
	bash scripts/images/build-all.sh

# ---------------------------------------------------------------- stack: local dev (compose.yaml)
# GPU=1 adds compose.gpu.yaml (NVIDIA GPU for Ollama).
DEV_COMPOSE := $(COMPOSE) -f compose.yaml $(if $(GPU),-f compose.gpu.yaml)
# Production image built by `make build` (prod compose reads MCP_IMAGE and IMAGE_TAG too).
MCP_IMAGE ?= mcp-stack/mcp
IMAGE_TAG ?= local
VERSION   ?= $(shell node -p "require('./services/mcp/package.json').version" 2>/dev/null || echo 0.0.0)
REVISION  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.PHONY: dev
dev: certs ## Build and start the dev stack (Traefik+TLS, mcp, Ollama, Inspector), wait until healthy, print the URLs
	$(DEV_COMPOSE) build
	@# Download the model in the foreground first, so its progress is visible (skipped when already present).
	$(DEV_COMPOSE) run --rm ollama-pull
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
	echo "  Inspector              https://inspector.localhost$$sfx"; \
	echo "  Traefik dashboard      https://traefik.localhost$$sfx"; \
	echo ""; \
	echo "  Local CA: $${TLS_CERT_DIR:-certs}/ca.crt (trust it once: see README). Hot reload: make watch"

.PHONY: watch
watch: ## Hot reload: sync edited service sources into the running mcp container (Ctrl-C to stop)
	$(DEV_COMPOSE) watch

.PHONY: down
down: ## Stop the dev stack (keeps the Ollama model volume)
	$(DEV_COMPOSE) down --remove-orphans

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
build: ## Build the dev images and the production image (MCP_IMAGE:IMAGE_TAG, default mcp-stack/mcp:local)
	$(DEV_COMPOSE) build
	docker build -f services/mcp/Dockerfile --target runtime \
	  $(if $(NODE_IMAGE),--build-arg NODE_IMAGE=$(NODE_IMAGE)) \
	  --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) \
	  --build-arg CREATED=$$(date -u +%Y-%m-%dT%H:%M:%SZ) \
	  -t $(MCP_IMAGE):$(IMAGE_TAG) .

.PHONY: config
config: ## Render and validate every compose combination: dev, dev+GPU, prod (ACME and file TLS), staging
	$(COMPOSE) -f compose.yaml --env-file .env.example config -q
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
smoke: ## Probe a live stack like a deploy pipeline: /healthz + first SSE event of /sse (URL=https://mcp.localhost [TOKEN=...])
	@[ -n "$(URL)" ] || { echo "usage: make smoke URL=https://mcp.example.com [TOKEN=...|TOKEN_FILE=...] [CACERT=...]"; exit 2; }
	bash scripts/smoke.sh "$(URL)"

.PHONY: clean
clean: ## Remove the dev stack with its volumes (the Ollama model too), its locally built images, and dist/
	@# Only the images compose builds (mcp dev, Inspector): pulled or offline-built upstream images stay.
	built=$$($(DEV_COMPOSE) config --format json | node -e 'const c=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(Object.values(c.services).filter(s=>s.build&&s.image).map(s=>s.image).join(" "))'); \
	$(DEV_COMPOSE) down --volumes --remove-orphans; \
	[ -z "$$built" ] || docker image rm -f $$built
	rm -rf services/mcp/dist

# ---------------------------------------------------------------- benchmarks (not part of `make test`)
.PHONY: bench
bench: deps ## Benchmarks: ours vs the bare SDK per mode vs a raw ceiling, in one run (~13 min on 2 cores); writes bench/results/latest.md
	@command -v wrk >/dev/null || { echo "bench: installing wrk (Debian package)"; apt-get install -y wrk; }
	taskset -c $${BENCH_LOAD_CORE:-1} node bench/run.ts

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
