# Two commands for everything: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
FRONT := frontend
HOST ?= 127.0.0.1
PORT ?= 8000
# `make run PSC=local`: sign in through a local Pro Santé Connect stand-in on this port.
PSC ?=
PSC_PORT ?= 9000

.PHONY: run serve test lint pytest frontend frontend-test bench migrate seed clean e2e api-types contract operator operator-stop lock deploy-test

# Dependencies come from the hashed lock files only (requirements/, written by `make lock`):
# every install gets exactly the bytes that were reviewed. dev.txt pins the same versions as
# prod.txt (it is compiled with prod.txt as constraint) plus the tools.
LOCK_PROD := requirements/prod.txt
LOCK_DEV := requirements/dev.txt
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --no-config --universal --python-version 3.11 \
	--generate-hashes --quiet --custom-compile-command "make lock"

$(STAMP): pyproject.toml $(LOCK_PROD) $(LOCK_DEV)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ est requis")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@# (the grep hides this machine's notices about its empty local indexes, not errors)
	set -o pipefail; $(PY) -m pip install --quiet --require-hashes -r $(LOCK_DEV) 2>&1 \
		| { grep -v "^WARNING: Location" || true; }
	$(PY) -m pip check
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Regenerate the lock files after a change of pyproject.toml (resolves against the package
# index with uv, which reads no pip configuration, so the result depends on pyproject.toml only).
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet uv
	$(UV_COMPILE) -o $(LOCK_PROD)
	$(UV_COMPILE) --extra dev --constraint $(LOCK_PROD) -o $(LOCK_DEV)

# The web client: npm ci when the lock changes, a build when a source changes.
$(FRONT)/node_modules/.package-lock.json: $(FRONT)/package-lock.json
	cd $(FRONT) && npm ci --no-audit --no-fund

FRONT_SOURCES := $(shell find $(FRONT)/src $(FRONT)/public $(FRONT)/index.html $(FRONT)/vite.config.* $(FRONT)/tsconfig*.json -type f 2>/dev/null)
$(FRONT)/dist/index.html: $(FRONT)/node_modules/.package-lock.json $(FRONT_SOURCES)
	cd $(FRONT) && npm run build

frontend: $(if $(wildcard $(FRONT)/package.json),$(FRONT)/dist/index.html)

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

# The Celery worker (and its beat) on the embedded filesystem broker, started beside daphne by
# `make run` and stopped with it: heavy work leaves the web process in this mode too.
CELERY_WORKER = $(VENV)/bin/celery -A backend worker -B --pool solo --loglevel WARNING \
	--schedule var/celerybeat-schedule

run: $(STAMP) frontend seed
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "Liaison Santé sur http://$(HOST):$(PORT)/ (comptes de démonstration : voir README.md)"
	@# -v 0: daphne's access log prints query strings, and /api/patients?ins= carries an INS.
ifeq ($(PSC),local)
	@# The local Pro Santé Connect stand-in (tests/psc/, 127.0.0.1 only), stopped with daphne.
	bash tests/psc/install.sh
	@rm -f var/psc.env
	@$(PY) -m tests.support.psc --port $(PSC_PORT) --env-file var/psc.env & psc=$$!; \
	$(CELERY_WORKER) & worker=$$!; \
	trap 'kill $$psc $$worker 2>/dev/null; wait $$psc $$worker 2>/dev/null' EXIT INT TERM; \
	for _ in $$(seq 1 150); do [ -s var/psc.env ] && break; sleep 0.2; done; \
	[ -s var/psc.env ] || { echo "le fournisseur Pro Santé Connect local n'a pas démarré"; exit 1; }; \
	. var/psc.env; echo "Connexion Pro Santé Connect (test) sur $$PSC_DISCOVERY_URL"; \
	$(VENV)/bin/daphne -v 0 -b $(HOST) -p $(PORT) backend.asgi:application
else
	$(CELERY_WORKER) & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(VENV)/bin/daphne -v 0 -b $(HOST) -p $(PORT) backend.asgi:application
endif

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m tests.support.import_graph backend conversations teleexpertise

# The client's API types are generated from the OpenAPI document (openapi-typescript) and the
# WebSocket frame types from the server's frame registry; both are checked in. `make api-types`
# regenerates them; `make contract` (part of `make test`) fails when the checked-in files drift,
# and both fail on any drf-spectacular warning or error (a view whose schema it had to guess).
API_TYPES := $(FRONT)/src/api/schema.gen.ts
api-types: $(STAMP) $(FRONT)/node_modules/.package-lock.json
	mkdir -p var
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml
	cd $(FRONT) && npx openapi-typescript ../var/openapi.yaml -o src/api/schema.gen.ts
	$(PY) manage.py frames_typescript

contract: $(STAMP) $(FRONT)/node_modules/.package-lock.json
	mkdir -p var
	$(PY) manage.py spectacular --validate --fail-on-warn --file var/openapi.yaml
	cd $(FRONT) && npx openapi-typescript ../var/openapi.yaml -o ../var/schema.gen.ts
	@diff -u $(API_TYPES) var/schema.gen.ts || { echo "$(API_TYPES) ne correspond plus à /api/schema/ : lancez make api-types"; exit 1; }

frontend-test: $(if $(wildcard $(FRONT)/package.json),$(FRONT)/node_modules/.package-lock.json)
	@if [ -f $(FRONT)/package.json ]; then cd $(FRONT) && npm test; fi

pytest: $(STAMP) frontend
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint contract frontend-test pytest

e2e: $(STAMP) frontend
	$(VENV)/bin/pytest -m e2e tests/e2e $(PYTEST_ARGS)

# The container image and the compose stack built and run with a real dockerd (host network,
# loopback only), smoke-tested through nginx, backed up and restored (deploy/README.md).
deploy-test: $(STAMP)
	PY=$(abspath $(PY)) bash deploy/test/run.sh

bench: $(STAMP) frontend
	$(PY) -m tests.bench

# Two test MSSanté operators (Postfix + Dovecot) on loopback, for trying the real transport,
# with the local Pro Santé Connect (on PSC_PORT) that checks their XOAUTH2 tokens.
operator: $(STAMP)
	tests/operator/install.sh
	bash tests/psc/install.sh
	$(PY) -m tests.operator start --psc-port $(PSC_PORT)

operator-stop: $(STAMP)
	$(PY) -m tests.operator stop

clean:
	rm -rf var/static var/bench $(FRONT)/dist
