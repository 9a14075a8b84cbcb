# nb-release: every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HUB    ?= $(NB_RELEASE_HUB)
HUBFLAG := $(if $(HUB),--hub $(HUB),)

.PHONY: release diff render validate test lint typecheck pytest clean reliability bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

release: $(STAMP)
	$(BIN)/nb-release release --yes $(HUBFLAG)

diff: $(STAMP)
	$(BIN)/nb-release plan $(HUBFLAG); status=$$?; [ $$status -eq 0 ] || [ $$status -eq 2 ]

validate: $(STAMP)
	$(BIN)/nb-release validate

render: $(STAMP)
	$(BIN)/nb-release render

lint: $(STAMP)
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench

typecheck: $(STAMP)
	$(BIN)/mypy pipeline

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test: lint typecheck pytest

# Minutes long, outside `make test` (which runs their quick modes); figures in bench/results/.
reliability: $(STAMP)
	$(BIN)/python bench/reliability.py $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench.py $(ARGS)

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
