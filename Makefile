# newsbot — the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test test-long lint bench messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP) ## create the virtual environment and install newsbot with its test/dev tools

demo: $(STAMP) ## run a reader's session offline against the bundled Bot API emulator
	$(BIN)/newsbot demo

test: $(STAMP) ## the suite on two workers (PostgreSQL tests skip when no server answers), minus the long runs
	$(BIN)/python -m pytest -q -m "not slow" -n 2

test-long: $(STAMP) ## the long process-level runs: kill -9, SIGTERM, two processes, leader, outages
	$(BIN)/python -m pytest -q -m slow

lint: $(STAMP) ## ruff, mypy (strict for bot/, handlers/, storage/) and the layer contract
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: $(STAMP) ## benchmarks; results go to docs/performance.md by hand
	$(BIN)/python -m pip install --quiet -e '.[bench]'  # rouge-score, for `bench summaries`
	$(BIN)/python -m bench

messages: $(STAMP) ## re-extract the bot's texts and update the Ukrainian catalogue (then translate the new entries)
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _ -k N_ -k ngettext:1,2 \
		--project newsbot --copyright-holder "newsbot" -o bot/locale/newsbot.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -D newsbot -i bot/locale/newsbot.pot -d bot/locale

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .hypothesis *.egg-info
