# Two commands on a fresh machine with Python 3.11+ and make: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean ui-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install the project with its dev extras

demo: setup  ## run the main job on embedded defaults (SQLite, local Prefect)
	$(BIN)/spbe demo

test: setup  ## run the whole suite
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .

bench: setup  ## run the benchmarks and print their figures
	$(BIN)/python bench/scoring.py
	$(BIN)/python bench/planner.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/dispatch.py

ui-deps:  ## Debian's chromium for the UI test (skipped, with the reason printed, where it cannot be installed)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "ui-deps: could not install chromium; the UI test will be skipped"; \
	  else echo "ui-deps: no root/apt here; install chromium to run the UI test"; fi; }

clean:
	rm -rf $(VENV) .spbe .pytest_cache
