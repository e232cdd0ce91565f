# Netweave: `make run` starts it standalone, `make test` runs every test.
# Both set up what they need on a fresh machine (virtual environment, Python
# packages, the editor's build) and skip what is already up to date.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed-stamp
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/package.json frontend/vite.config.ts -type f 2>/dev/null)

# The tests run against PostgreSQL and Redis on this machine (see README).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/netweave
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/9

.PHONY: run test test-python test-frontend fuzz lint deps bytecode frontend bench clean api-types

run: deps bytecode frontend
	$(PY) manage.py standalone

test: deps frontend lint test-frontend test-python

# Mistakes caught before any test runs: ruff (rules in pyproject.toml), the
# engine's types (mypy over workers/engine, [tool.mypy] in pyproject.toml), the
# editor's types (tsc) and eslint (frontend/eslint.config.js).
lint: deps
	$(VENV)/bin/ruff check .
	$(PY) -m mypy
	@if [ -f frontend/package.json ]; then cd frontend && npm run typecheck && npm run lint; fi

# The suite runs in shards at once, each on its own databases (tests/parallel.py); with
# PYTEST_ARGS it is one plain pytest run of those.
test-python: deps bytecode
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) tests/parallel.py $(PYTEST_ARGS)

# schemathesis against the server's own OpenAPI schema, every phase: no server error (a few minutes).
fuzz: deps bytecode
	NETWEAVE_FUZZ=1 DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest tests/fuzz -q

test-frontend:
	@if [ -f frontend/package.json ]; then cd frontend && npm test; fi

deps: $(STAMP)

# uv installs what pip would, from pip's own sources (tools/pip_sources.py; every index weighed
# alike, as pip does), in a fraction of pip's time: 73 s from an empty uv cache (37 s warm)
# against about 3.5 min on the 2-core machine (docs/benchmarks.md, "Test time"). It compiles the bytecode as pip does: where
# PYTHONDONTWRITEBYTECODE is set, nothing else would, and every process would compile torch
# again. Where uv cannot be had, pip does it all.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	( $(PY) -m pip install --quiet uv==$(UV_VERSION) && $(VENV)/bin/uv pip install --quiet --python $(PY) \
	    --compile-bytecode --index-strategy unsafe-best-match --native-tls $$($(PY) tools/pip_sources.py) \
	    -e '.[dev]' ) \
	  || ( $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install --quiet -e '.[dev]' )
	touch $@

# The project's own bytecode, for the same reason (each process that imports it would compile
# it again); quick when nothing changed.
bytecode: deps
	@$(PY) -m compileall -q designer workers tests manage.py >/dev/null

frontend: frontend/dist/index.html

frontend/dist/index.html: $(FRONTEND_SOURCES)
	@if [ -f frontend/package.json ]; then \
		cd frontend && npm ci --no-audit --no-fund && npm run build; \
	fi

# The editor's API types (frontend/src/api/schema.ts) are generated from the
# OpenAPI schema; tests/api/test_openapi_types.py fails when they drift.
# Generated against the test database: DRF reads integer ranges from the database
# backend (PostgreSQL's int32 vs SQLite's int64), and the drift test runs there.
api-types: deps
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) manage.py spectacular --format openapi-json --file frontend/openapi.json
	cd frontend && npx openapi-typescript openapi.json --default-non-nullable false -o src/api/schema.ts && rm openapi.json

bench: deps
	@for b in benches/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist
