# espnet_mtasr — set-up, demo and tests.
#
#   make demo    install, then run every stage of the mini LibriMix recipe on the CPU
#   make test    install, then run the unit tests and the mini-recipe integration test
#   make bench   decoding speed of the trained mini systems (SOT-AED, LLM-SOT, SOP-MT-ASR,
#                encoder-only) on the same inputs, interleaved runs, median RTF + ratios;
#                needs their models: BENCH_ARGS="--size large --sop_llm none" etc.
#   make lint    ruff check + format check
#   make install build .venv/ (idempotent; re-runs only when requirements change)
#
# Torch: by default the CPU wheel torch==2.13.0 (on these machines it is on local disk;
# elsewhere pip downloads the CPU/CUDA build for your platform). To use your own CUDA
# build:  make install TORCH_SPEC="torch==2.9.1" TORCHAUDIO_SPEC="torchaudio==2.9.1"

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_SPEC ?= torch==2.13.0
TORCHAUDIO_SPEC ?= torchaudio==2.11.0
ESPNET_SPEC ?= espnet==202511
# pip >= 25 refuses ci_sdr (an ESPnet dependency) because one of its *extras* names a
# git URL; 24.3.1 installs it.
PIP_SPEC ?= pip==24.3.1
APT_PACKAGES := espeak-ng sox libsox-fmt-all
DEMO_RECIPE ?= egs2/mini_librimix/mtasr1
DEMO_ARGS ?=
BENCH_ARGS ?= --size large

.PHONY: install sysdeps demo test bench lint format clean-venv

install: sysdeps $(VENV)/.installed

sysdeps:
	@missing=""; \
	command -v espeak-ng >/dev/null 2>&1 || missing="$$missing espeak-ng"; \
	command -v sox >/dev/null 2>&1 || missing="$$missing sox"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages: $(APT_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); \
	  else \
	    echo "ERROR: missing$$missing. Install them with:"; \
	    echo "  sudo apt-get install -y --no-install-recommends $(APT_PACKAGES)"; \
	    exit 1; \
	  fi; \
	fi

$(VENV)/.installed: setup.py requirements/base.txt requirements/test.txt requirements/constraints.txt tools/check_install.py
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "ERROR: $(PYTHON) not found (Python 3.11 is required; set PYTHON=/path/to/python3.11)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q "$(PIP_SPEC)"
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -r requirements/base.txt -r requirements/test.txt -c requirements/constraints.txt "$(TORCH_SPEC)"
	# espnet pins setuptools<74 (the torch wheel needs >=77) and torchaudio's PyPI build
	# would pull another torch: both go in without their dependency resolution.
	$(PIP) install -q --no-deps "$(ESPNET_SPEC)" ci_sdr==0.0.2 "$(TORCHAUDIO_SPEC)"
	$(PIP) install -q --no-deps -e .
	$(PY) tools/check_install.py
	touch $@

demo: install
	cd $(DEMO_RECIPE) && ./run.sh $(DEMO_ARGS)

test: install
	$(PY) -m pytest -q

bench: install
	cd $(DEMO_RECIPE) && local/bench_decoding.sh $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean-venv:
	rm -rf $(VENV)
