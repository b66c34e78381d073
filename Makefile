# espnet_mtasr — set-up, demo and tests.
#
#   make demo    install, then run every stage of the mini LibriMix recipe on the CPU
#   make test    install, then run the unit tests and the mini-recipe integration test
#   make test-unit  install, then the unit tests only (-m "not integration")
#   make bench   decoding speed of the trained mini systems (SOT-AED, LLM-SOT, SOP-MT-ASR,
#                encoder-only) on the same inputs, interleaved runs, median RTF + ratios;
#                needs their models: BENCH_ARGS="--size large --sop_llm none" etc.
#   make lint    ruff check (incl. complexity <= 15) + format check + shellcheck
#   make install build the venv (idempotent; re-runs only when requirements change)
#   PYTEST_ARGS='...'  extra pytest arguments for make test / test-unit
#
# Two ESPnet lines, picked from the Python version (each in its own venv, so both coexist):
#   Python 3.11 (default)  ESPnet 202511  .venv/     pins: requirements/constraints.txt
#   Python 3.12 or 3.13    ESPnet 202611  .venv312/  pins: requirements/espnet202611/
#                          (.venv313/ for 3.13)      constraints.txt
#   make install PYTHON=python3.12      (or ESPNET_LINE=202611, which means python3.12)
#   make test PYTHON=python3.12 PYTEST_ARGS='-m "not integration"'
# PYTHON may be a name on PATH, a path, or a version pyenv has (tools/find_python.sh).
#
# Torch: torch==2.13.0 on both lines; for Python 3.11 the CPU wheel (on these machines it
# is on local disk), for 3.12 pip takes PyPI's CUDA build (~5.6 GB; it runs on the CPU
# too). To use another build: make install TORCH_SPEC="torch==2.9.1"
# TORCHAUDIO_SPEC="torchaudio==2.9.1" (ESPnet 202611 needs torch >=2.11,<2.15).

ESPNET_LINE ?=
ifeq ($(ESPNET_LINE),202611)
PYTHON ?= python3.12
endif
PYTHON ?= python3.11
PYTHON_BIN := $(shell tools/find_python.sh '$(PYTHON)' 2>/dev/null)
PY_VERSION := $(if $(PYTHON_BIN),$(shell '$(PYTHON_BIN)' -c 'import sys; print("%d.%d" % sys.version_info[:2])'))
ifeq ($(ESPNET_LINE),)
ESPNET_LINE := $(if $(filter 3.12 3.13,$(PY_VERSION)),202611,202511)
endif
TORCH_SPEC ?= torch==2.13.0
TORCHAUDIO_SPEC ?= torchaudio==2.11.0
ifeq ($(ESPNET_LINE),202611)
# 202611's own dependency pins are consistent with torch 2.13 (torchaudio 2.11 names no
# torch): espnet resolves together with everything else, `pip check` is clean.
LINE_PYTHONS := 3.12 3.13
VENV ?= .venv$(subst .,,$(PY_VERSION))
ESPNET_SPEC ?= espnet==202611
CONSTRAINTS := requirements/espnet202611/constraints.txt
RESOLVE_SPECS = "$(ESPNET_SPEC)" "$(TORCHAUDIO_SPEC)" ci_sdr==0.0.2
NODEPS_SPECS =
else ifeq ($(ESPNET_LINE),202511)
LINE_PYTHONS := 3.11
VENV ?= .venv
ESPNET_SPEC ?= espnet==202511
CONSTRAINTS := requirements/constraints.txt
RESOLVE_SPECS =
# espnet 202511 pins setuptools<74 (the torch wheel needs >=77) and torchaudio's PyPI
# build would pull another torch: these go in without their dependency resolution.
NODEPS_SPECS = "$(ESPNET_SPEC)" ci_sdr==0.0.2 "$(TORCHAUDIO_SPEC)"
else
$(error ESPNET_LINE must be 202511 or 202611, not "$(ESPNET_LINE)")
endif
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_ARGS ?=
# pip >= 25 refuses ci_sdr (an ESPnet dependency) because one of its *extras* names a
# git URL; 24.3.1 installs it.
PIP_SPEC ?= pip==24.3.1
APT_PACKAGES := espeak-ng sox libsox-fmt-all
DEMO_RECIPE ?= egs2/mini_librimix/mtasr1
DEMO_ARGS ?=
BENCH_ARGS ?= --size large

.PHONY: install sysdeps demo test test-unit bench lint format clean-venv

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

$(VENV)/.installed: setup.py requirements/base.txt requirements/test.txt $(CONSTRAINTS) tools/check_install.py
	@test -n "$(PYTHON_BIN)" || { tools/find_python.sh '$(PYTHON)'; exit 1; }
	@test -n "$(filter $(LINE_PYTHONS),$(PY_VERSION))" || { echo "ERROR: ESPnet $(ESPNET_LINE) is installed with Python $(LINE_PYTHONS), not $(PY_VERSION) ($(PYTHON_BIN))"; exit 1; }
	@echo "make install: ESPnet $(ESPNET_LINE), Python $(PY_VERSION) ($(PYTHON_BIN)) -> $(VENV)/"
	test -x $(PY) || '$(PYTHON_BIN)' -m venv $(VENV)
	@$(PY) -c 'import sys; v = "%d.%d" % sys.version_info[:2]; sys.exit(0 if v == "$(PY_VERSION)" else "ERROR: $(VENV)/ has Python " + v + ", not $(PY_VERSION): pass another VENV=, or make clean-venv VENV=$(VENV)")'
	$(PIP) install -q "$(PIP_SPEC)"
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -r requirements/base.txt -r requirements/test.txt $(RESOLVE_SPECS) -c $(CONSTRAINTS) "$(TORCH_SPEC)"
	$(if $(strip $(NODEPS_SPECS)),$(PIP) install -q --no-deps $(NODEPS_SPECS))
	$(PIP) install -q --no-deps -e .
	$(PY) tools/check_install.py
	echo "ESPnet $(ESPNET_LINE), Python $(PY_VERSION)" > $@

demo: install
	cd $(DEMO_RECIPE) && ./run.sh $(DEMO_ARGS)

test: install
	$(PY) -m pytest -q $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest -q -m "not integration" $(PYTEST_ARGS)

bench: install
	cd $(DEMO_RECIPE) && local/bench_decoding.sh $(BENCH_ARGS)

# Every tracked shell script (recipe links resolved to their one file)
SH_FILES = $(shell git ls-files '*.sh' .ci/run | xargs -r readlink -f | sort -u)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/shellcheck -x -P SCRIPTDIR -S warning $(SH_FILES)

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean-venv:
	rm -rf $(VENV)
