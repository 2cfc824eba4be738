# Portico: every set-up step lives here, so a fresh machine needs only `make dev` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NPM_INSTALL := npm ci --no-audit --no-fund --loglevel=error

.PHONY: help install build dev test test-unit lint bench soak clean new-bff deploy-sync

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package-lock.json package.json
	$(NPM_INSTALL)

install: node_modules/.package-lock.json ## install dependencies from the lockfile

build: install ## compile every workspace (tsc -b)
	npx tsc -b

dev: build ## run the fleet locally with embedded defaults (no Redis needed)
	node scripts/dev.mjs

test: build ## run every test: types, lint, unit, integration, e2e
	npm run typecheck
	npx eslint .
	npm test

test-unit: install ## run the libs' tests only
	npm run test:unit

lint: install ## eslint + type-check, tests included
	npx eslint .
	npm run typecheck

bench: build ## run the benchmarks and rewrite docs/benchmarks.md
	bash bench/run.sh

soak: build ## mixed traffic through the real fleet for SOAK_DURATION (default 10m); adds its report to docs/benchmarks.md
	status=0; npx tsx bench/soak.ts || status=$$?; \
	npx tsx bench/lib/assemble.ts $$(sed -n 's/^ALL_SUITES="\(.*\)"$$/\1/p' bench/run.sh) soak; exit $$status

new-bff: ## create a BFF: make new-bff NAME=tv-bff PORT=8084 [PREFIX=tv] [TEAM=@org/team]
	node scripts/new-bff.mjs --name "$(NAME)" --port "$(PORT)" $(if $(PREFIX),--prefix "$(PREFIX)") $(if $(TEAM),--team "$(TEAM)")

deploy-sync: ## copy each BFF's routes.yaml into its k8s base (the ConfigMap's source)
	node scripts/deploy-sync.mjs

clean: ## remove build output
	npx tsc -b --clean
