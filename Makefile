# Two commands run the course:  `make lab` opens it, `make test` verifies all of it.
# Both create .venv/ on first use (or when pyproject.toml changed) and install the course into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The install stamp is keyed on the dependency list: editing pyproject.toml triggers a reinstall,
# anything else does not.
DEPS_HASH := $(shell cat pyproject.toml requirements.txt | sha256sum | cut -c1-16)
STAMP := $(VENV)/.installed-$(DEPS_HASH)
LAB_ARGS ?=
# JupyterLab listens on this machine only (127.0.0.1) and, for that reason, asks for no token;
# on a shared machine pass LAB_ARGS="--IdentityProvider.token=SECRET". Root (containers) needs --allow-root.
LAB_DEFAULTS := --ServerApp.ip=127.0.0.1 --IdentityProvider.token= $(if $(filter 0,$(shell id -u)),--allow-root,)
NB ?=
GRADE_ARGS ?=

# Notebooks run with one BLAS/OpenMP thread and a fixed hash seed, so that their checked outputs
# are the same on every machine (see README, "How notebooks are stored and checked").
NB_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONHASHSEED=0 MPLBACKEND=
NBVAL := --nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
         --nbval-sanitize-with $(CURDIR)/tests/nbval_sanitize.cfg

.PHONY: lab test lint unit notebooks execute exercises grade bench install clean-venv

install: $(STAMP)

$(STAMP):
	@if [ ! -x $(BIN)/python ] || ! $(BIN)/python -c "import sys" 2>/dev/null; then \
		echo "Creating $(VENV) with $(PYTHON)"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

lab: $(STAMP)
	cd notebooks && ../$(BIN)/jupyter lab $(LAB_DEFAULTS) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python scripts/make_exercises.py --check
	$(NB_ENV) $(BIN)/python -m pytest $(NBVAL) tests notebooks solutions

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP)
	$(NB_ENV) $(BIN)/python -m pytest $(NBVAL) notebooks solutions

execute: $(STAMP)
	$(NB_ENV) $(BIN)/python scripts/execute_notebooks.py $(NB)

# Regenerate exercises/ from solutions/. An exercise you edited is kept; FORCE=1 regenerates it too,
# saving your version beside it first (NN_topic.backup-<time>.ipynb).
exercises: $(STAMP)
	$(BIN)/python scripts/make_exercises.py $(if $(FORCE),--force,) $(EXERCISE_ARGS)

grade: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make grade NB=exercises/NN_topic.ipynb"; exit 2; }
	$(BIN)/python -m course_lib.grading "$(NB)" $(GRADE_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_numpy.py
	$(BIN)/python benchmarks/bench_torch.py

clean-venv:
	rm -rf $(VENV)
