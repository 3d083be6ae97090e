# Every target sets up what it needs: `make test` and `make demo` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install lint test demo docs docs-check check bench where stress clean wheel-check
.PHONY: matrix matrix-edges matrix-latest
.PHONY: e2e e2e-docs bench-e2e livekit-server

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check src tests bench noxfile.py
	$(VENV)/bin/ruff format --check src tests bench noxfile.py
	$(VENV)/bin/mypy --strict

docs: install
	$(VENV)/bin/session-fsm docs docs --embed docs/rules.md
	$(MAKE) site

docs-check: install
	$(VENV)/bin/session-fsm docs docs --embed docs/rules.md --check

# The table as JSON for the TypeScript package in js/ (checked fresh by `make test`).
.PHONY: table table-check
TABLE_JSON := js/packages/session-fsm/table.json

table: install
	$(VENV)/bin/session-fsm export-table $(TABLE_JSON)

table-check: install
	$(VENV)/bin/session-fsm export-table $(TABLE_JSON) --check

# The TypeScript package: `npm ci` only when the lockfile changed, then lint, type check, tests
# (the conformance tests replay traces this project's Python writes).
.PHONY: js
JS_STAMP := js/node_modules/.ci-stamp

$(JS_STAMP): js/package-lock.json
	cd js && npm ci --no-audit --no-fund
	@touch $(JS_STAMP)

js: install $(JS_STAMP)
	cd js && npm run lint && npm run typecheck && SESSION_FSM_PYTHON=$(abspath $(PY)) npm test

check: install
	$(VENV)/bin/session-fsm check --sessions 3

test: lint docs-check table-check js
	$(PY) -m pytest -q

demo: install
	$(VENV)/bin/session-fsm demo

bench: install
	$(PY) -m bench

where: install
	$(PY) -m bench.where

stress: install
	$(PY) -m pytest -q -m stress tests/stress

# the built wheel in a fresh venv without extras: CLI, library, a foreign project's pytest
wheel-check: install
	.ci/wheel-check

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

# The docs site (mkdocs.yml): MkDocs + Material + mkdocstrings from the `docs` extra, Mermaid
# from npm (docs-tools/package-lock.json), served by the site itself; the diagrams are checked in
# Debian's Chromium, headless. Code examples in the docs run in tests/docs (make test).
.PHONY: site site-check docs-browser docs-screenshot clean-site
DOCS_TOOLS := docs-tools
NODE_STAMP := $(DOCS_TOOLS)/node_modules/.installed
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
MKDOCS := NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs

$(NODE_STAMP): $(DOCS_TOOLS)/package-lock.json
	npm ci --prefix $(DOCS_TOOLS) --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

site: install $(NODE_STAMP)
	$(MKDOCS) build

# make test builds the site with warnings as errors, then checks every diagram in the browser
test: site-check

site-check: install $(NODE_STAMP)
	$(MKDOCS) build --strict
	$(MAKE) docs-browser

docs-browser: $(NODE_STAMP) $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) node $(DOCS_TOOLS)/check-diagrams.mjs site

# the committed picture of the state-machine page (docs/img/state-machine.png)
docs-screenshot: site $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) node $(DOCS_TOOLS)/check-diagrams.mjs site --screenshot docs/img/state-machine.png

clean: clean-site
clean-site:
	rm -rf site $(DOCS_TOOLS)/node_modules

# livekit-agents versions (noxfile.py): each in a virtualenv of its own under .nox/
matrix: install
	$(VENV)/bin/nox -s matrix table

matrix-edges: install
	$(VENV)/bin/nox -t edges

matrix-latest: install
	$(VENV)/bin/nox -s latest

# Mermaid's own parser (npm: mermaid, with jsdom for its sanitiser), for the docs test that
# parses the generated diagrams; installed inside the virtualenv, away from lint and mypy.
MERMAID := $(VENV)/mermaid
.PHONY: mermaid
$(MERMAID)/.installed: tests/mermaid/package.json tests/mermaid/package-lock.json tests/mermaid/parse.mjs | $(STAMP)
	mkdir -p $(MERMAID)
	cp tests/mermaid/package.json tests/mermaid/package-lock.json tests/mermaid/parse.mjs $(MERMAID)/
	cd $(MERMAID) && npm ci --no-audit --no-fund --silent
	@touch $@

mermaid: $(MERMAID)/.installed

test: mermaid

# End-to-end: a real LiveKit server built from its Go module (needs Go; the first build takes
# about 2-3 minutes on 2 cores, later runs reuse it), run in dev mode on 127.0.0.1 by
# tests/e2e/server.py, which always stops it; a real worker process and real rtc clients.
LIVEKIT_SERVER_VERSION := v1.13.5
LIVEKIT_SERVER := .tools/livekit-server-$(LIVEKIT_SERVER_VERSION)/server

$(LIVEKIT_SERVER):
	@command -v go >/dev/null || { echo "make e2e builds livekit-server from its Go module: install Go first"; exit 1; }
	GOBIN=$(CURDIR)/$(dir $(LIVEKIT_SERVER)) go install github.com/livekit/livekit-server/cmd/server@$(LIVEKIT_SERVER_VERSION)

livekit-server: $(LIVEKIT_SERVER)

e2e: install $(LIVEKIT_SERVER)
	$(VENV)/bin/ruff check examples
	$(VENV)/bin/ruff format --check examples
	$(PY) -m tests.e2e.server $(LIVEKIT_SERVER) -- $(PY) -m pytest -q -p no:cacheprovider tests/e2e

# The same run, also regenerating docs/e2e.md's table of scenario 4 (with / without the library).
e2e-docs: install $(LIVEKIT_SERVER)
	E2E_WRITE_DOCS=1 $(PY) -m tests.e2e.server $(LIVEKIT_SERVER) -- $(PY) -m pytest -q -p no:cacheprovider tests/e2e

# Three figures on the real server next to bare livekit-agents (docs/e2e.md, .tools/e2e/bench.json).
bench-e2e: install $(LIVEKIT_SERVER)
	$(PY) -m tests.e2e.server $(LIVEKIT_SERVER) -- $(PY) -m tests.e2e.bench

# livekit-agents 1.4's client-events RPC methods on the real server, in a 1.4 virtualenv (nox
# session `client_events`): what the offline matrix cannot run there (docs/compatibility.md).
.PHONY: e2e-client-events
e2e-client-events: install $(LIVEKIT_SERVER)
	$(PY) -m tests.e2e.server $(LIVEKIT_SERVER) -- $(VENV)/bin/nox -s client_events
