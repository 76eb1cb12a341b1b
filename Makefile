# `make run` starts the server on a SQLite file under ./data; `make test` runs the whole suite.
# Both create the virtual environment in .venv and install the locked dependencies first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DATABASE_URL ?= sqlite+aiosqlite:///./data/platform.db
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint format lock clean browser docs docs-build vendor

install: $(INSTALLED) vendor

# The web app's browser libraries (htmx, SortableJS; axe-core for the browser tests), installed
# from the npm registry at the versions of frontend/package-lock.json; the first two are copied
# into the package, which serves them itself (the wheel includes them). Done again only when the
# lock changes or a file is missing.
VENDOR := src/praisonai_platform/web/static/vendor
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/Sortable.min.js
NODE_MODULES := frontend/node_modules/.package-lock.json

vendor: $(VENDOR_FILES)

$(NODE_MODULES): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_MODULES)

$(VENDOR_FILES) &: $(NODE_MODULES)
	mkdir -p $(VENDOR)
	cp frontend/node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp frontend/node_modules/htmx.org/LICENSE $(VENDOR)/htmx.LICENSE.txt
	cp frontend/node_modules/sortablejs/Sortable.min.js $(VENDOR)/Sortable.min.js
	cp frontend/node_modules/sortablejs/LICENSE $(VENDOR)/Sortable.LICENSE.txt
	touch $(VENDOR_FILES)

$(INSTALLED): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(INSTALLED)

run: install
	DATABASE_URL="$(DATABASE_URL)" RUN_DB_MIGRATIONS=true \
		$(BIN)/praisonai-platform serve --host $(HOST) --port $(PORT)

# Tests run in parallel worker processes (pytest-xdist), each with databases of its own; an idle
# worker takes queued tests from a busy one (worksteal), which evens out where the long tests land.
PYTEST_WORKERS ?= 4

# The suite starts a few hundred Python processes (servers, workers, commands). Where
# PYTHONDONTWRITEBYTECODE is set, each of them compiles the package from source again, a quarter
# of a second of CPU time apiece on a 2-core machine; compiled modules go to __pycache__ (ignored
# by git), as is Python's default.
test: export PYTHONDONTWRITEBYTECODE =

test: install lint docs-build $(if $(filter true,$(CI)),browser)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

# The documentation site: `make docs` serves it on 127.0.0.1:8001, `make docs-build` builds it
# strictly into ./site (any broken link or reference fails the build).
docs: install
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001

docs-build: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

# Debian's Chromium and ChromeDriver for the admin UI's browser test; `make test` runs this under
# CI=true. Installs only what is missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive \
			sh -c 'apt-get update -q && apt-get install -y -q chromium chromium-driver'; \
	fi

# Re-resolve the pinned dependency sets after changing pyproject.toml: everything for development
# (requirements.lock) and, with the same versions, what the server needs (the container's).
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --no-header \
		--no-emit-index-url --generate-hashes --quiet -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --no-header \
		--no-emit-index-url --generate-hashes --quiet -c requirements.lock \
		-o requirements-runtime.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist frontend/node_modules $(VENDOR)
