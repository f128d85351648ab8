# The two commands of README: `make run` and `make test`. Both build on `make install`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_PYTHON := $(PYTHON)

.PHONY: install run test check lint system-deps demo clean

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==0.13.8

$(BIN)/yingshang: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

build/static/vendor/htmx.min.js: package.json package-lock.json scripts/build-static.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build

## install: create .venv with the locked dependencies and build the static files
install: $(BIN)/yingshang build/static/vendor/htmx.min.js

## system-deps: Debian packages that cannot live in .venv (needs root)
system-deps:
	@bash scripts/system-deps.sh install

## run: set up, migrate, load demo data and serve on http://127.0.0.1:8000 with the worker and chronograph
run: install
	@bash scripts/system-deps.sh check-or-install
	$(BIN)/yingshang setup
	$(BIN)/yingshang serve

## test: the whole test suite (DATABASE_URL selects PostgreSQL instead of SQLite)
test: install
	@bash scripts/system-deps.sh check-or-install
	$(BIN)/yingshang compilemessages --ignore=.venv --ignore=node_modules -v 0
	$(BIN)/pytest $(PYTEST_ARGS)

## check: linters, types, import contracts, migrations, deployment checks
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(BIN)/yingshang makemigrations --check --dry-run
	YINGSHANG_PRODUCTION=1 YINGSHANG_SECRET_KEY=check-deploy-$$(head -c 32 /dev/urandom | base64 | tr -dc a-zA-Z0-9) \
		$(BIN)/yingshang check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) node_modules build
