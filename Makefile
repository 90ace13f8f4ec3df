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
	# resemblyzer's speaker encoder (weights in the package); its deps are in pyproject.
	$(PY) -m pip install -q --no-deps resemblyzer==0.1.4
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/companion serve

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy companion session_server streaming asr diarization note_builder web_client

# The suite runs on the embedded default (SQLite), then the server tests again on a
# fresh PostgreSQL database (127.0.0.1:5432) when one is reachable.
PG_ADMIN ?= postgresql+psycopg://postgres@127.0.0.1:5432/postgres

# The browser tests (tests/e2e) drive Debian's Chromium through Playwright; Playwright's
# own browser download is never used.
CHROMIUM ?= /usr/bin/chromium

$(CHROMIUM):
	@echo "== installing Debian's chromium for the browser tests"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null || \
	{ DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium >/dev/null; } || \
	{ echo "need Debian's chromium at $(CHROMIUM) (apt-get install chromium)"; exit 1; }

# Two-voice therapy sessions for the diarization tests are rendered with Debian's espeak-ng.
ESPEAK ?= /usr/bin/espeak-ng

$(ESPEAK):
	@echo "== installing Debian's espeak-ng for the diarization tests"
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q espeak-ng >/dev/null || \
	{ DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -q >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q espeak-ng >/dev/null; } || \
	{ echo "need Debian's espeak-ng at $(ESPEAK) (apt-get install espeak-ng)"; exit 1; }

unit: $(STAMP) $(CHROMIUM) $(ESPEAK)
	$(PY) -m pytest -q
	@if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "== server tests on PostgreSQL"; \
		COMPANION_TEST_POSTGRES=$(PG_ADMIN) $(PY) -m pytest -q tests/session_server; \
	else echo "== PostgreSQL not reachable on 127.0.0.1:5432: SQLite only"; fi

test: lint typecheck unit

bench: $(STAMP)
	$(PY) -m benchmarks.run_all

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
