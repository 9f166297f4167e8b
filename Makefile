# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ITSM := $(BIN)/itsm
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test install system-deps bench lint messages

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
	@echo "    admin (administrator)   desk1 (service desk)   eng1 (front line)"
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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy itsm
	$(BIN)/python manage.py makemigrations --check --dry-run

messages: $(STAMP)
	cd itsm && ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete
	cd itsm && ../$(BIN)/python ../manage.py compilemessages
