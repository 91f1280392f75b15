# The two commands of the quick start are `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LINTED := src tests bench examples

.PHONY: install browser oidc run test pytest lint format bench fuzz clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("gatepass needs Python 3.11 or newer; set PYTHON=python3.11" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (tests/browser); never a downloaded build.
browser:
	bash scripts/install-chromium.sh

# The test OpenID provider (npm oidc-provider, pinned in tests/oidc/package.json). Without
# node the OAuth tests skip locally; in CI (GATEPASS_REQUIRE_SERVICES=1) they fail.
oidc:
	-bash tests/oidc/install.sh

run: install
	$(BIN)/gatepass serve

test: lint pytest

pytest: install browser oidc
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

format: install
	$(BIN)/ruff format $(LINTED)
	$(BIN)/ruff check --fix $(LINTED)

bench: install
	$(BIN)/python -m bench

# Coverage-guided fuzzing of token verification for a bounded time (not part of `make test`).
# What atheris discovers goes to .gatepass/fuzz-corpus; the seeds in fuzz/corpus stay as they are.
FUZZ_SECONDS ?= 60
fuzz: install
	mkdir -p .gatepass/fuzz-corpus
	$(BIN)/python fuzz/fuzz_verify.py -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		.gatepass/fuzz-corpus fuzz/corpus/verify

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .gatepass build dist
