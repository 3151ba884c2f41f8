# Two commands do everything: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install bench eval lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/fanwen demo --db data/demo.db

test: $(STAMP)
	$(BIN)/ruff check fanwen_crawler pipelines tests benchmarks evaluation portalgen
	$(BIN)/mypy  # files and settings: [tool.mypy] in pyproject.toml
	bash scripts/install-browser.sh
	bash scripts/install-redis.sh
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

# The competitors (trafilatura, GNE, readability-lxml) pin their own versions of lxml's
# helpers, so they live in a second virtualenv; ours runs there too, in the same process.
EVAL_VENV := .venv-eval
$(EVAL_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(EVAL_VENV)
	$(EVAL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(EVAL_VENV)/bin/python -m pip install --quiet -e .
	$(EVAL_VENV)/bin/python -m pip install --quiet trafilatura gne readability-lxml lxml_html_clean
	touch $@

# magic-html needs Python >= 3.12: its own virtualenv from pyenv's 3.12 when there is one;
# without it the harness skips magic-html with a note in the report.
MAGIC_VENV := .venv-magic
PY312 := $(shell pyenv prefix 3.12 2>/dev/null | head -1)
$(MAGIC_VENV)/.installed:
	@if [ -n "$(PY312)" ] && [ -x "$(PY312)/bin/python" ]; then \
		$(PY312)/bin/python -m venv $(MAGIC_VENV) && \
		$(MAGIC_VENV)/bin/python -m pip install --quiet --upgrade pip && \
		$(MAGIC_VENV)/bin/python -m pip install --quiet magic-html && touch $@; \
	else echo "no Python 3.12 from pyenv: magic-html will be skipped"; fi

eval: $(EVAL_VENV)/.installed
	-@$(MAKE) --no-print-directory $(MAGIC_VENV)/.installed
	$(EVAL_VENV)/bin/python -m evaluation --out docs/extraction-eval.md

lint: $(STAMP)
	$(BIN)/ruff check fanwen_crawler pipelines tests

clean:
	rm -rf $(VENV) $(EVAL_VENV) data/*.db .pytest_cache
