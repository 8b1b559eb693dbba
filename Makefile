# Two commands run the course:  `make lab` opens it, `make test` verifies all of it.
# Both create .venv/ on first use (or when the dependency list or the Python changed) and install
# the course into it (scripts/setup_venv.py).

# The course supports Python 3.11, 3.12 and 3.13. PYTHON=... picks one (an unsupported one is
# refused); otherwise the venv's own Python once the venv exists (so that a later `make grade` never
# rebuilds it with another version), else the first of python3, python3.13, python3.12, python3.11
# on PATH that is supported.
VENV ?= .venv
SUPPORTED_PY := import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12), (3, 13)))
PYTHON ?= $(firstword $(foreach py,$(VENV)/bin/python python3 python3.13 python3.12 python3.11,\
          $(shell command -v $(py) >/dev/null 2>&1 && $(py) -c "$(SUPPORTED_PY)" 2>/dev/null && echo $(py))) python3)
BIN := $(VENV)/bin
# The install stamp is keyed on the dependency list, the setup script and the Python version:
# editing any of them triggers a reinstall, anything else does not.
DEPS_HASH := $(shell cat pyproject.toml requirements.txt scripts/setup_venv.py | sha256sum | cut -c1-12)
PY_VERSION := $(shell $(PYTHON) -c "import sys; print('%d.%d' % sys.version_info[:2])" 2>/dev/null)
STAMP := $(VENV)/.installed-$(PY_VERSION)-$(DEPS_HASH)
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

.PHONY: lab test lint unit notebooks execute artifacts exercises grade update bench install clean-venv

install: $(STAMP)

$(STAMP):
	$(PYTHON) scripts/setup_venv.py $(VENV)
	@rm -f $(VENV)/.installed-*
	@touch $@

# The lab serves the whole repository (notebooks/, exercises/, solutions/, README.md; a terminal
# opens here, where `make grade` works) and opens on the setup check. Its kernels run with the
# thread settings of `make test`: the venv's kernelspec sets them (scripts/setup_venv.py), and so
# does the server's environment.
LAB_START := notebooks/00_setup_check.ipynb
lab: $(STAMP)
	$(NB_ENV) $(BIN)/jupyter lab --LabApp.default_url=/lab/tree/$(LAB_START) $(LAB_DEFAULTS) $(LAB_ARGS)

# Two workers (TEST_WORKERS=0: one process), each taking whole files, so that a notebook's cells run in
# order in one kernel; every kernel has one thread, so two fill a 2-core machine. --durations lists
# the 20 slowest tests and notebook cells: the whole run must stay within 15 minutes.
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python scripts/make_exercises.py --check
	$(NB_ENV) $(BIN)/python -m pytest $(NBVAL) -n $(TEST_WORKERS) --dist loadfile --durations=20 \
	    tests notebooks solutions

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest tests

notebooks: $(STAMP)
	$(NB_ENV) $(BIN)/python -m pytest $(NBVAL) notebooks solutions

execute: $(STAMP)
	$(NB_ENV) $(BIN)/python scripts/execute_notebooks.py $(NB)

# Retrain the models shipped in notebooks/artifacts/ (notebooks themselves only write notebooks/cache/).
artifacts: $(STAMP)
	$(NB_ENV) $(BIN)/python scripts/train_artifacts.py $(ARTIFACT)

# Take the course's updates: your exercises stay as you left them; every file of the course you
# changed is first copied to my_versions/ (see README, "Taking course updates").
update:
	$(PYTHON) scripts/update_course.py

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
	$(BIN)/python benchmarks/bench_grading.py

clean-venv:
	rm -rf $(VENV)
