# One command runs the app (`make run`), one runs the tests (`make test`); both set themselves up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast test-postgres lint typecheck install chromium bench bench-load train-grader clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch, pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	# The voice extra (offline speech to text) is part of the app run here and of its tests.
	$(BIN)/python -m pip install --quiet -e ".[dev,voice,optimizer]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/mock-interview serve --host $(HOST) --port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || scripts/install-chromium.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) chromium lint
	$(BIN)/python -m pytest

# The edit loop: no embedding or speech model, no browser (what `make test` adds on top).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not model and not voice"

# The whole suite again on a throw-away PostgreSQL 15 server (installed if missing).
test-postgres: $(STAMP) chromium
	scripts/with-postgres.sh $(BIN)/python -m pytest

# Rebuild the claim judge's weights (app/grading/claim_judge.safetensors) from the development
# sets in bench/, seeded: docs/claim-judge.md.
train-grader: $(STAMP)
	$(BIN)/python bench/claim_judge.py

bench: $(STAMP)
	$(BIN)/python bench/grading.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/voice.py

bench-load: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
