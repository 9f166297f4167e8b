# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ITSM := $(BIN)/itsm
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install system-deps bench fuzz crashtest load concurrency lint messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Debian's Chromium (browser tests) and CJK fonts (Chinese in screenshots and PDFs).
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "Install Debian's chromium and fonts-noto-cjk for the browser tests."; fi; \
	fi

run: $(STAMP)
	$(ITSM) migrate --no-input
	$(ITSM) demo
	@echo
	@echo "  Hospital ITSM: http://127.0.0.1:8000"
	@echo "  Demo logins (password: $${ITSM_DEMO_PASSWORD:-Demo@2026}):"
	@echo "    admin (system administrator)   secadmin1 (security administrator)   auditor1 (auditor)"
	@echo "    desk1 (service desk)   eng1 (front line)"
	@echo "    vendor1, vendor2 (vendor back-line engineers)   manager1 (IT manager)   nurse1 (requester)"
	@echo
	$(ITSM) worker & trap 'kill $$! 2>/dev/null' EXIT INT TERM; $(ITSM) serve

test: $(STAMP) system-deps
	$(BIN)/pytest -n 2 -q

# The desk's pages and API over generated incidents, then search over 100,000 articles and
# 1,000,000 incidents (each generates its database on the first run and reuses it after).
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.search $(SEARCH_BENCH_ARGS)

# The API fuzzed from its OpenAPI schema as six roles: at least 1,000 cases, no 5xx, every
# answer as documented (tests/security/test_fuzz.py; `make test` runs a smaller share).
fuzz: $(STAMP)
	ITSM_FUZZ_EXAMPLES=$${ITSM_FUZZ_EXAMPLES:-5} $(BIN)/pytest -n 2 -q -p no:randomly tests/security/test_fuzz.py

# Crash safety: 20 rounds of SIGKILL under a create load, on SQLite and then on a private
# PostgreSQL instance (its own initdb and port) whose server is killed too.
crashtest: $(STAMP)
	$(BIN)/python -m bench.crash $(CRASH_ARGS)
	$(BIN)/python -m bench.crash --postgres $(CRASH_ARGS)

# Load: locust steps through user counts, then 5 minutes of mixed traffic (docs/performance.md).
load: $(STAMP)
	$(BIN)/python -m bench.load.run $(LOAD_ARGS)

# Concurrency at full size (docs/performance.md, "Concurrency"): 8 processes × 100 updates of
# one incident through the services and over HTTP, 1,000 parallel creates; on SQLite, then on
# PostgreSQL (CONCURRENCY_PG, a server pytest may create a test database on). `make test`
# runs the same tests smaller.
CONCURRENCY_PG ?= postgres://postgres@127.0.0.1:5432/itsm_concurrency
CONCURRENCY_SIZES := ITSM_CONCURRENCY_UPDATES=100 ITSM_CONCURRENCY_HTTP_UPDATES=100 ITSM_CONCURRENCY_CREATES=1000
concurrency: $(STAMP)
	$(CONCURRENCY_SIZES) $(BIN)/pytest -q -s -p no:randomly tests/concurrency
	$(CONCURRENCY_SIZES) ITSM_DATABASE_URL=$(CONCURRENCY_PG) $(BIN)/pytest -q -s -p no:randomly tests/concurrency

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy itsm
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: $(STAMP)
	cd itsm && ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete
	cd itsm && ../$(BIN)/python ../manage.py compilemessages
