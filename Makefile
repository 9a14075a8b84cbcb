# nb-release: every target creates the virtual environment it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HUB    ?= $(NB_RELEASE_HUB)
HUBFLAG := $(if $(HUB),--hub $(HUB),)

.PHONY: release sync history keep thorough diff render validate test lint lint-workflows typecheck pytest unit clean hubrules-snapshot \
	ci-plan ci-release ci-sync reliability bench lock runtime-install doctor

# Two installs, each from its lock file (pinned versions, with hashes), then nb-release itself
# without dependencies: the runtime alone for the commands and the CI release and sync jobs
# ($(RUNTIME)), the runtime and the development tools for lint and tests ($(STAMP)).
# `make lock` writes the lock files from pyproject.toml.
RUNTIME_LOCK := requirements/runtime.lock
DEV_LOCK     := requirements/dev.lock
RUNTIME      := $(VENV)/.runtime

define install
	@test -x $(BIN)/python || { echo "==> creating the virtual environment $(VENV)/"; $(PYTHON) -m venv $(VENV); }
	@echo "==> upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> installing $(2) (first time: about a minute)"
	@$(BIN)/python -m pip install --quiet --require-hashes -r $(1)
	@$(BIN)/python -m pip install --quiet --no-deps -e .
	@# Byte-compiled as pip compiles an installed package: an editable install is not, and with
	@# PYTHONDONTWRITEBYTECODE set every command would compile nb-release's modules again.
	@$(BIN)/python -m compileall -q pipeline > /dev/null
endef

$(STAMP): pyproject.toml $(DEV_LOCK)
	$(call install,$(DEV_LOCK),nb-release and its development tools from $(DEV_LOCK))
	@touch $(STAMP) $(RUNTIME)
	@echo "==> installed"

# The development install holds the runtime (the dev lock is compiled within the runtime lock).
$(RUNTIME): pyproject.toml $(RUNTIME_LOCK)
	@if [ -f $(STAMP) ] && [ $(STAMP) -nt $(RUNTIME_LOCK) ] && [ $(STAMP) -nt pyproject.toml ]; then \
		touch $(RUNTIME); else $(MAKE) --no-print-directory runtime-install; fi

runtime-install:
	$(call install,$(RUNTIME_LOCK),nb-release and its runtime dependencies from $(RUNTIME_LOCK))
	@touch $(RUNTIME)
	@echo "==> installed (runtime)"

# The lock files, from pyproject.toml (uv, a development tool); commit them with the change.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes \
	--no-header --quiet
lock: $(STAMP)
	$(UV_COMPILE) --upgrade -o $(RUNTIME_LOCK)
	$(UV_COMPILE) --upgrade --extra dev -c $(RUNTIME_LOCK) -o $(DEV_LOCK)

release: $(RUNTIME)
	@$(BIN)/nb-release release --yes --summary $(HUBFLAG)

# The nightly run: exit 4 when drift or adoption was found and left as the policy says.
sync: $(RUNTIME)
	@$(BIN)/nb-release sync $(HUBFLAG) $(SYNCFLAGS)

history: $(RUNTIME)
	@$(BIN)/nb-release history $(HUBFLAG) $(REPOS)

# Take the hand edits of drifted cards into cards/edits/ (commit them; the next sync is green).
keep: $(RUNTIME)
	@$(BIN)/nb-release keep $(HUBFLAG) $(REPOS)

# --- the GitHub workflows' steps (.github/workflows/); reports land in $(REPORTS)/ -------------
REPORTS ?= reports

# plan.yml: the Markdown for the PR comment (cut to fit), the full reports; 0 or 2 is success.
ci-plan: $(RUNTIME)
	@mkdir -p $(REPORTS)
	@status=0; $(BIN)/nb-release plan $(HUBFLAG) --format markdown \
		--report-md $(REPORTS)/plan-full.md --report-json $(REPORTS)/plan.json \
		> $(REPORTS)/plan.md || status=$$?; \
	[ $$status -eq 0 ] || [ $$status -eq 2 ]
	@$(BIN)/nb-release preview $(HUBFLAG) --out $(REPORTS)/preview

# release.yml: release --yes with the reports (exit 4 when drift was left: the job says so).
ci-release: $(RUNTIME)
	@mkdir -p $(REPORTS)
	@$(BIN)/nb-release release --yes $(HUBFLAG) --summary \
		--report-md $(REPORTS)/release.md --report-json $(REPORTS)/release.json

# nightly-sync.yml: the review page of what sync will do, then sync (DRY_RUN=true: --dry-run); the exit status is kept in sync.status for
# the drift-issue step, since make reports every failure as its own status 2. 0, 2 (dry run: to
# publish) and 4 (drift left as the policy says) pass; 1 and 3 fail the job.
ci-sync: $(RUNTIME)
	@mkdir -p $(REPORTS)
	@$(BIN)/nb-release preview $(HUBFLAG) --out $(REPORTS)/preview
	@status=0; $(BIN)/nb-release sync $(HUBFLAG) $(if $(filter true,$(DRY_RUN)),--dry-run,) \
		--report-md $(REPORTS)/sync.md --report-json $(REPORTS)/sync.json || status=$$?; \
	echo $$status > $(REPORTS)/sync.status; \
	[ $$status -eq 0 ] || [ $$status -eq 2 ] || [ $$status -eq 4 ]

# Keeps plan's exit status: 0 nothing to publish, 2 something would be written, 1 error. (make itself reports
# any non-zero status as its own status 2; call `.venv/bin/nb-release plan` to tell 1 from 2.)
diff: $(RUNTIME)
	@$(BIN)/nb-release plan $(HUBFLAG)

validate: $(RUNTIME)
	@$(BIN)/nb-release validate

render: $(RUNTIME)
	@$(BIN)/nb-release render

lint: $(STAMP)
	@echo "==> ruff"
	@$(BIN)/ruff check pipeline tests bench
	@$(BIN)/ruff format --check pipeline tests bench
	@echo "==> codespell (the cards' prose)"
	@$(BIN)/codespell cards tests/golden

# zizmor offline (no GitHub API), strictest persona, so CI needs no network beyond PyPI;
# actionlint checks the run: scripts with shellcheck when it is on PATH (.ci/run installs it).
lint-workflows: $(STAMP)
	@echo "==> zizmor, actionlint (.github/workflows)"
	@$(BIN)/zizmor --offline --persona auditor --quiet .github/workflows
	@$(BIN)/actionlint .github/workflows/*.yml

typecheck: $(STAMP)
	@echo "==> mypy --strict"
	@$(BIN)/mypy pipeline tests

pytest: $(STAMP)
	@echo "==> pytest (unit and integration tests)"
	@$(BIN)/python -m pytest -n 2 -q

# The unit tests alone: no local Hub, no server, no browser; a test that opens a socket fails
# (tests/conftest.py). The integration tests are those marked `integration`, the browser tests
# (tests/preview, which fail without chromium) `browser`.
unit: $(STAMP)
	@echo "==> pytest -m 'not integration and not browser' (unit tests, no sockets)"
	@$(BIN)/python -m pytest -n 2 -q -m "not integration and not browser and not thorough"

# The property tests at full size (the merge of hand edits: 1,000 generated cases); minutes long.
thorough: $(STAMP)
	@echo "==> pytest -m thorough (property tests at full size)"
	@$(BIN)/python -m pytest -n 2 -q -m thorough

test: lint lint-workflows typecheck pytest

# Minutes long, outside `make test` (which runs their quick modes); figures in bench/results/.
reliability: $(STAMP)
	$(BIN)/python bench/reliability.py $(ARGS)

bench: $(STAMP)
	$(BIN)/python bench/bench.py $(ARGS)

# The Hub's lists from their sources (needs npm, node and GitHub); see bench/hubrules_snapshot.py.
hubrules-snapshot: $(STAMP)
	$(BIN)/python -m bench.hubrules_snapshot

clean:
	rm -rf build .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
