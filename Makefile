# nb-release: every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HUB    ?= $(NB_RELEASE_HUB)
HUBFLAG := $(if $(HUB),--hub $(HUB),)

.PHONY: release sync history diff render validate test lint typecheck pytest clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { echo "==> creating the virtual environment $(VENV)/"; $(PYTHON) -m venv $(VENV); }
	@echo "==> upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> installing nb-release and its development tools (first time: about a minute)"
	@# PYTHONWARNINGS: setuptools' notice about editable installs of a flat layout is not for users.
	@PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "==> installed"

release: $(STAMP)
	@$(BIN)/nb-release release --yes $(HUBFLAG)

# The nightly run: exit 4 when drift or adoption was found and left as the policy says.
sync: $(STAMP)
	@$(BIN)/nb-release sync $(HUBFLAG) $(SYNCFLAGS)

history: $(STAMP)
	@$(BIN)/nb-release history $(HUBFLAG) $(REPOS)

# Keeps plan's exit status: 0 nothing to publish, 2 changes pending, 1 error. (make itself reports
# any non-zero status as its own status 2; call `.venv/bin/nb-release plan` to tell 1 from 2.)
diff: $(STAMP)
	@$(BIN)/nb-release plan $(HUBFLAG)

validate: $(STAMP)
	@$(BIN)/nb-release validate

render: $(STAMP)
	@$(BIN)/nb-release render

lint: $(STAMP)
	@echo "==> ruff"
	@$(BIN)/ruff check pipeline tests bench
	@$(BIN)/ruff format --check pipeline tests bench
	@echo "==> codespell (the cards' prose)"
	@$(BIN)/codespell cards tests/golden

typecheck: $(STAMP)
	@echo "==> mypy --strict"
	@$(BIN)/mypy pipeline

pytest: $(STAMP)
	@echo "==> pytest"
	@$(BIN)/python -m pytest -n 2 -q

test: lint typecheck pytest

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
