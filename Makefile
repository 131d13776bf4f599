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
