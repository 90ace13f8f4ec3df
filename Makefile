# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# Real test data lives beside the project (../shared/testdata); a clone elsewhere on
# this machine finds the workplace copy.
COMPANION_TESTDATA ?= $(abspath $(firstword $(wildcard ../shared/testdata /work/shared/testdata)))
export COMPANION_TESTDATA

.PHONY: run test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: an unpinned torch pulls several GB of CUDA builds.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	# silero-vad is used for its ONNX model only; its torchaudio dependency is not needed.
	$(PY) -m pip install -q --no-deps silero-vad==6.2.3
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/companion serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy companion session_server streaming asr

unit: $(STAMP)
	$(PY) -m pytest -q

test: lint typecheck unit

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
