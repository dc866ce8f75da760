# The two commands of the README. Both do all set-up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# e.g. make run ARGS=--continue (keep the previous demo's database)
ARGS ?=

.PHONY: run test lint install bench clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/recovery demo --port $(PORT) $(ARGS)

test: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider

# The layers (import-linter), the lint (ruff) and the types (mypy --strict on domain, ports, cases).
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check connector tests bench
	$(BIN)/mypy

# The Zendesk listing's screenshots, captured again from the real sidebar (1024x768, Chromium).
screenshots: $(STAMP)
	RECOVERY_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q -p no:cacheprovider tests/browser/test_marketplace_screenshots.py -k sqlite

bench: $(STAMP)
	$(BIN)/python bench/single_answer.py

clean:
	rm -rf $(VENV) *.egg-info recovery.db* recovery-demo.db*
