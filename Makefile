# backprop-explainer: the two commands a fresh machine needs are `make lab` and `make test`.
#
#   make lab      create .venv if missing, install the package + lab and lecture extras, open JupyterLab at the start notebook
#   make test     create .venv if missing, install everything (+ Debian chromium), run the whole suite
#   make lint     ruff (lint + format check) and import-linter
#   make format   ruff format + autofixable lint fixes
#   make bench    run every benchmarks/bench_*.py in turn
#   make export   run every notebook; write artifacts/export/NAME.html and NAME.slides.html, which play offline
#   make voila    serve the Playground as a standalone app with Voilà (code hidden), on http://localhost:8866
#   make screenshots  retake the README's pictures (docs/images/*.png) in JupyterLab with headless Chromium
#   make pictures refresh the static pictures stored in the notebooks' app cells (they show on GitHub)
#   make lite     build the JupyterLite site (Pyodide kernel, Voici Playground) into artifacts/lite/
#
# Versions: tests/constraints.txt holds the exact versions; every install here uses it as pip constraints (-c).
# binder/requirements.txt is Binder's own list (what repo2docker's base lacks), at the same versions where both
# pin a package. An install reruns when pyproject.toml or the pins change.
# Knobs: PYTHON (interpreter for the venv), LAB_ARGS (e.g. "--no-browser --port 8899"), PYTEST_ARGS (e.g. -x),
# EXPORT_ARGS (e.g. "notebooks/02_forward_backward_2_2_2.ipynb --no-slides"), VOILA_NOTEBOOK, VOILA_ARGS (e.g. --no-browser).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PINS := tests/constraints.txt
CHROMIUM := /usr/bin/chromium
START_NOTEBOOK := notebooks/00_start_here.ipynb
LAB_ARGS ?=
PYTEST_ARGS ?=
NBVAL_ARGS := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300

LECTURE_STAMP := $(VENV)/.installed-lecture
TEST_STAMP := $(VENV)/.installed-test

.PHONY: help lab test lint format bench pytest nbval chromium

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# --- environment -------------------------------------------------------------------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(LECTURE_STAMP): pyproject.toml $(PINS) | $(BIN)/python
	$(PIP) install --quiet -c $(PINS) -e ".[lab,lecture]"
	touch $@

$(TEST_STAMP): pyproject.toml $(PINS) | $(BIN)/python
	$(PIP) install --quiet -c $(PINS) -e ".[lab,lecture,test]"
	@# Voilà loads every lab extension; Notebook 7's (the tests install notebook) cannot start there.
	mkdir -p $(VENV)/etc/jupyter
	echo '{"VoilaConfiguration": {"extension_denylist": ["@jupyter-notebook/lab-extension"]}}' > $(VENV)/etc/jupyter/voila.json
	touch $@ $(LECTURE_STAMP)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium: $(CHROMIUM)
$(CHROMIUM):
	scripts/install_chromium.sh

# --- the two commands --------------------------------------------------------------------------------------
# Jupyter refuses to run as root without --allow-root (containers, CI machines): pass it only there.
lab: $(LECTURE_STAMP)
	@args=(--ServerApp.root_dir="$(CURDIR)"); \
	if [ "$$(id -u)" -eq 0 ]; then args+=(--allow-root); fi; \
	if [ -f $(START_NOTEBOOK) ]; then args+=($(START_NOTEBOOK)); \
	else echo "$(START_NOTEBOOK) does not exist yet: opening the repository root"; fi; \
	exec $(BIN)/jupyter lab $(LAB_ARGS) "$${args[@]}"

# Every step runs even when an earlier one fails, so one run reports everything; the exit status is the worst.
test: $(TEST_STAMP) $(CHROMIUM)
	@status=0; \
	$(MAKE) --no-print-directory lint || status=1; \
	$(MAKE) --no-print-directory pytest || status=1; \
	$(MAKE) --no-print-directory nbval || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED (see the steps above)" >&2; else echo "make test: all steps passed"; fi; \
	exit $$status

# --- steps -------------------------------------------------------------------------------------------------
lint: $(TEST_STAMP)
	@status=0; \
	echo "== ruff check"; $(BIN)/ruff check . || status=1; \
	echo "== ruff format --check"; $(BIN)/ruff format --check . || status=1; \
	echo "== lint-imports"; $(BIN)/lint-imports --no-cache --no-logo || status=1; \
	exit $$status

format: $(TEST_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Browser tests run in a process of their own: Playwright's sync API leaves an asyncio loop running in the
# main thread, and the apps' coalescing (which defers work while a loop runs, as in a kernel) must not see it.
pytest: $(TEST_STAMP)
	@echo "== pytest tests/ (not browser)"
	@rc=0; $(BIN)/pytest -m "not browser" $(PYTEST_ARGS) || rc=$$?; \
	echo "== pytest tests/ (browser)"; \
	$(BIN)/pytest -m browser $(PYTEST_ARGS) || rc=$$?; \
	exit $$rc

# nbval runs every notebook and compares outputs. Without notebooks there is nothing to run (pytest would exit 5).
nbval: $(TEST_STAMP)
	@echo "== pytest --nbval notebooks/"
	@if [ -z "$$(find notebooks -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' 2>/dev/null)" ]; then \
		echo "no notebooks in notebooks/ yet: nothing for nbval to run"; \
	else \
		rc=0; $(BIN)/pytest $(NBVAL_ARGS) $(PYTEST_ARGS) notebooks || rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "the notebooks hold no code cells: nothing for nbval to check"; rc=0; fi; \
		exit $$rc; \
	fi

bench: $(TEST_STAMP)
	@found=0; \
	for f in benchmarks/bench_*.py; do \
		[ -e "$$f" ] || continue; found=1; \
		echo "== $$f"; $(BIN)/python "$$f"; \
	done; \
	if [ $$found -eq 0 ]; then echo "no benchmarks/bench_*.py yet"; fi

# --- presenting --------------------------------------------------------------------------------------------
EXPORT_ARGS ?=
VOILA_NOTEBOOK ?= notebooks/apps/playground.ipynb
VOILA_ARGS ?=
# JupyterLab-only extensions that cannot start inside Voilà (they want Lab's menus and document manager).
VOILA_DENY := jupyterlab-slideshow @jupyter-notebook/lab-extension @deathbeds/jupyterlab-fonts @deathbeds/jupyterlab-font-anonymous-pro \
	@deathbeds/jupyterlab-font-atkinson-hyperlegible @deathbeds/jupyterlab-font-dejavu-sans-mono \
	@deathbeds/jupyterlab-font-fira-code

.PHONY: export voila

# scripts/export.py: fetches reveal.js and MathJax with npm the first time (pinned in scripts/package-lock.json).
export: $(LECTURE_STAMP)
	$(BIN)/python scripts/export.py $(EXPORT_ARGS)

voila: $(LECTURE_STAMP)
	exec $(BIN)/voila $(VOILA_NOTEBOOK) --theme=light $(addprefix --VoilaConfiguration.extension_denylist=,$(VOILA_DENY)) \
		$(VOILA_ARGS)

# --- pictures ----------------------------------------------------------------------------------------------
SCREENSHOT_ARGS ?=
.PHONY: screenshots

# scripts/screenshots.py: the apps in a throw-away notebook, driven in Debian's Chromium (SCREENSHOT_ARGS=explorer: one).
screenshots: $(TEST_STAMP) $(CHROMIUM)
	$(BIN)/python scripts/screenshots.py $(SCREENSHOT_ARGS)

# scripts/notebook_pictures.py: runs each notebook (nbclient) and stores the static picture each app's display offers
# (image/svg+xml or image/png), in the form scripts/nbclean.py stores notebooks. PICTURES_ARGS: notebooks, --check.
PICTURES_ARGS ?=
.PHONY: pictures
pictures: $(TEST_STAMP)
	$(BIN)/python scripts/notebook_pictures.py $(PICTURES_ARGS)

# --- the browser -------------------------------------------------------------------------------------------
# scripts/build_lite.py, run by the lite build's own venv (JupyterLab's environment must not load the Pyodide
# kernel's extension): artifacts/lite/, a static JupyterLite site (LITE_ARGS="--out DIR" elsewhere).
LITE_VENV := artifacts/cache/lite-venv
LITE_STAMP := $(LITE_VENV)/.installed
LITE_ARGS ?=
.PHONY: lite
$(LITE_STAMP): pyproject.toml $(PINS)
	$(PYTHON) -m venv $(LITE_VENV)
	$(LITE_VENV)/bin/python -m pip install --quiet -c $(PINS) ".[lite,lecture]"
	touch $@

lite: $(LITE_STAMP)
	$(LITE_VENV)/bin/python scripts/build_lite.py $(LITE_ARGS)
