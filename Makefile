# Two commands do everything: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test lint format demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# Bytecode is written once here, as pip does for an installed package: where the environment sets
# PYTHONDONTWRITEBYTECODE, every process would otherwise compile ProdOps's modules again.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e .
	$(BIN)/python -m compileall -q prodops
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e '.[dev]'
	$(BIN)/python -m compileall -q prodops
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/prodops setup
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/raw_file.py
	$(BIN)/python benchmarks/metrics.py
	$(BIN)/python benchmarks/revenue.py
	$(BIN)/python benchmarks/insights.py
	$(BIN)/python benchmarks/ui.py
	$(BIN)/python benchmarks/scale.py --chart docs/benchmarks/scale.png

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
