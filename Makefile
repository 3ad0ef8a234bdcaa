# Two commands on a fresh machine with Python 3.11+ and make: `make demo` and `make test`.
#
# Installs come from uv.lock, a universal lock (every package pinned with its hashes, for every platform and
# Python >= 3.11): `make setup` installs exactly it, `make lock` re-resolves it after pyproject.toml changes.
# uv itself is pinned here and bootstrapped once from PyPI with the machine's pip into .tools/.
PYTHON     ?= python3
UV_VERSION := 0.13.9
TOOLS      := .tools
UV         := $(TOOLS)/bin/uv
UV_STAMP   := $(TOOLS)/.uv-$(UV_VERSION)
VENV       := .venv
BIN        := $(VENV)/bin
STAMP      := $(VENV)/.installed

# Use the machine's Python; never let uv download an interpreter.
export UV_PYTHON_DOWNLOADS := never

.PHONY: setup lock demo test lint bench bench-national clean ui-deps messages

$(UV_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	touch $(UV_STAMP)

# --locked: refuse (rather than silently re-resolve) when pyproject.toml no longer matches uv.lock.
# uv sync is exact: anything in .venv that the lock does not list is removed.
# --compile-bytecode: every command starts from .pyc files. Without them (PYTHONDONTWRITEBYTECODE=1 is set on
# some machines, this one included) each `spbe` process compiled SQLAlchemy, pydantic and Prefect from source
# again: 1.6 s of a 2.4 s `spbe status` here.
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	$(UV) sync --quiet --locked --extra dev --compile-bytecode --python $(PYTHON) \
	  || { echo 'make setup: uv.lock does not match pyproject.toml: run `make lock` and commit uv.lock'; exit 1; }
	$(BIN)/python -m spbe.i18n_catalog compile  # the .mo files (not in git; spbe.i18n recompiles a stale one)
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install exactly uv.lock (the project, its dependencies and dev extras)
	@$(BIN)/python -m compileall -q -j 0 spbe flows tasks >/dev/null  # the project's own .pyc (incremental)

lock: $(UV_STAMP)  ## re-resolve uv.lock after editing pyproject.toml (ARGS=--upgrade to move every pin); commit both
	$(UV) lock --python $(PYTHON) $(ARGS)

demo: setup  ## run the main job on embedded defaults (SQLite, local Prefect)
	$(BIN)/spbe demo

# The suite spends most of its time in processes it starts (spbe commands, Prefect servers, Chromium), one core
# at a time: a worker per core (at most four, each with its own Prefect harness) halves it on two cores.
# TEST_WORKERS=0 runs it in one process, in file order.
TEST_WORKERS ?= auto
test: setup  ## run the whole suite (TEST_WORKERS=0: in one process)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist worksteal

messages: setup  ## after adding or changing a _("...") string: merge it into spbe/locale/*/spbe.po, then translate id.po
	$(BIN)/python -m spbe.i18n_catalog update
	$(BIN)/python -m spbe.i18n_catalog check || true

lint: setup
	$(BIN)/ruff check .

bench: setup  ## every benchmark, figures as JSON (trimmed sizes, meant to finish in under five minutes)
	$(BIN)/python bench/scoring.py --json --rounds 3
	$(BIN)/python bench/planner.py --json -n 20
	$(BIN)/python bench/report.py --json --plans 20 --builds 3
	$(BIN)/python bench/portal.py --json
	$(BIN)/python bench/dispatch.py --json --messages 3000
	$(BIN)/python bench/commands.py --runs 3 --json --no-temporary

bench-national: setup  ## the national sweep and dispatch on PostgreSQL (SPBE_TEST_POSTGRES_URL), 40/150/600 agencies
	$(BIN)/python bench/national.py --json

ui-deps:  ## Debian's chromium (UI test) and khal (calendar read-back test), each skipped, with the reason printed, where it cannot be installed)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "ui-deps: could not install chromium; the UI test will be skipped"; \
	  else echo "ui-deps: no root/apt here; install chromium to run the UI test"; fi; }
	@command -v khal >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq khal >/dev/null) \
	      || echo "ui-deps: could not install khal; the calendar read-back test will be skipped"; \
	  else echo "ui-deps: no root/apt here; install khal to run the calendar read-back test"; fi; }

clean:
	rm -rf $(VENV) $(TOOLS) .spbe .pytest_cache
