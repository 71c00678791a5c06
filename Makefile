# Yoldosh — `make run` to talk to it, `make test` to run every test. Both set up what they need first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
export RASA_TELEMETRY_ENABLED := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

VENV := .venv
RASA_VENV := .venv-rasa
PY := $(VENV)/bin/python
CATALOGS := $(wildcard content/locale/*/LC_MESSAGES/yoldosh.po)
COMPILED := $(CATALOGS:.po=.mo)
TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: help setup run chat train test test-fast lint catalogs lock bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(VENV)/.installed $(RASA_VENV)/.installed $(COMPILED)  ## create both virtualenvs and compile catalogs (quick when nothing changed)

$(VENV)/.installed: requirements/app.lock pyproject.toml
	@echo "==> Installing the application environment ($(VENV), Python 3.11+); first time takes about a minute"
	@test -x $(PY) || "$$(scripts/find-python.sh app)" -m venv $(VENV)
	@$(PY) -m pip install --progress-bar off --requirement requirements/app.lock | sed -n -E "/^(Collecting|Successfully)/p"
	@$(PY) -m pip install --quiet --no-deps --editable .
	@touch $@

$(RASA_VENV)/.installed: requirements/rasa.lock
	@echo "==> Installing Rasa 3.6.21 ($(RASA_VENV), Python 3.10); first time takes 1–2 minutes"
	@test -x $(RASA_VENV)/bin/python || "$$(scripts/find-python.sh rasa)" -m venv $(RASA_VENV)
	@$(RASA_VENV)/bin/python -m pip install --progress-bar off --requirement requirements/rasa.lock | sed -n -E "/^(Collecting|Successfully)/p"
	@touch $@

content/locale/%/LC_MESSAGES/yoldosh.mo: content/locale/%/LC_MESSAGES/yoldosh.po $(VENV)/.installed
	@$(VENV)/bin/pybabel compile --domain yoldosh --input-file $< --output-file $@ --locale $* 2>&1 | grep -v '^compiling' || true
	@test -f $@

catalogs: $(VENV)/.installed  ## extract messages from the code and domain, update every catalog
	scripts/extract-messages.sh content/locale/yoldosh.pot
	$(VENV)/bin/pybabel update --domain yoldosh --input-file content/locale/yoldosh.pot --output-dir content/locale \
		--no-fuzzy-matching --ignore-obsolete --width 120

run: setup  ## run Yoldosh: Telegram when TELEGRAM_BOT_TOKEN is set, else a console chat
	@$(VENV)/bin/yoldosh run

chat: setup  ## console chat only, in this process (no Rasa: free text gets the menu)
	@$(VENV)/bin/yoldosh chat

train: setup  ## train the Rasa model into nlu/models/ if its inputs changed
	@$(VENV)/bin/yoldosh train

bench: setup  ## benchmarks: training, NLU quality, Telegram load and memory, safety net, booking
	@$(VENV)/bin/python -m bench.run

test: setup lint  ## lint, then the whole test suite, PostgreSQL and Rasa included
	YOLDOSH_TEST_POSTGRES_URL=$(TEST_POSTGRES_URL) YOLDOSH_REQUIRE_POSTGRES=1 $(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(VENV)/.installed $(COMPILED)  ## quick inner loop: no Rasa server tests
	$(PY) -m pytest -m "not rasa" $(PYTEST_ARGS)

lint: $(VENV)/.installed  ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check bot services tests nlu bench
	$(VENV)/bin/mypy

lock:  ## re-pin requirements/app.lock from the current .venv
	(echo "# Exact versions for .venv (Python 3.11+). Regenerate with: make lock"; $(PY) -m pip freeze --exclude-editable | grep -v "^-e ") > requirements/app.lock

clean:  ## remove both virtualenvs, compiled catalogs and trained models (keeps var/)
	rm -rf $(VENV) $(RASA_VENV) nlu/models content/locale/*/LC_MESSAGES/*.mo
