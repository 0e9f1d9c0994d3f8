# Everything runs from the project's own virtual environment in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
REPORTS ?= ../shared/reports
GOLD   ?= ../shared/gold
CORPUS ?= ../shared/corpus
FUZZ_EXAMPLES ?= 700
DEMO_DB ?= out/demo.db

.PHONY: install install-browser demo test lint score score-lists eval docs docs-check bench fuzz model clean

$(BIN)/jtai: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

install: $(BIN)/jtai

## install-browser: Debian's Chromium and its driver, for the browser test (nothing downloaded at test time)
install-browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; fi

## demo: extract the sample corpus, then compare and tabulate it
demo: install
	@mkdir -p out
	$(BIN)/jtai extract $(REPORTS) --db $(DEMO_DB) --jobs 2
	$(BIN)/jtai list --db $(DEMO_DB)
	$(BIN)/jtai compare sutton lewisham --db $(DEMO_DB)
	$(BIN)/jtai compare sutton lewisham --type jtai --db $(DEMO_DB)
	$(BIN)/jtai compare sutton@2017 sutton@2023 --db $(DEMO_DB)
	$(BIN)/jtai table --by area --db $(DEMO_DB) --format md --output out/themes-by-area.md
	$(BIN)/jtai report sutton lewisham surrey --db $(DEMO_DB) --output out/report.html
	@echo "database: $(DEMO_DB); theme table: out/themes-by-area.md; report: out/report.html"

## test: lint, unit and corpus tests, the accuracy scores against the gold set, and the docs' examples
test: install install-browser lint
	$(BIN)/python -m pytest -q
	$(MAKE) score score-lists eval docs-check

lint: install
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/mypy src/jtai_tools

score: install
	$(BIN)/python scripts/score_extraction.py --reports $(REPORTS) --gold $(GOLD) --check

## score-lists: the extraction gold of the corpus's list layouts (labels/extraction), item F1 >= 0.99
score-lists: install
	$(BIN)/python scripts/score_extraction.py --reports $(CORPUS) --gold labels/extraction --min-f1 0.99 --check

## eval: the shipped tagger on the gold set, and grouped cross-validation on the labelled findings
eval: install
	$(BIN)/jtai eval --gold $(GOLD)/findings.jsonl --min-f1 0.84 --min-polarity 1.0
	$(BIN)/jtai eval --cv labels/findings.jsonl --min-f1 0.78

## docs: rewrite the command examples of README.md and docs/ from a run over the sample corpus
docs: install
	$(BIN)/python scripts/gen_docs.py

## docs-check: fail with a diff when an example no longer matches what its command prints
docs-check: install
	$(BIN)/python scripts/gen_docs.py --check

## model: train the shipped tagger model on the project's labelled findings (same labels, same bytes)
model: install
	$(BIN)/jtai train --labels labels/findings.jsonl --output src/jtai_tools/data/model

## bench: speed against the targets (extraction, tagging, stages, queries and whole commands over 1,000 reports)
bench: install
	$(BIN)/python benchmarks/bench_extract.py --reports $(REPORTS)
	$(BIN)/python benchmarks/bench_tag.py
	$(BIN)/python benchmarks/bench_sections.py --reports $(REPORTS)
	$(BIN)/python benchmarks/bench_metadata.py --reports $(REPORTS)
	$(BIN)/python benchmarks/bench_query.py --reports-dir $(REPORTS)
	$(BIN)/python benchmarks/bench_commands.py --reports-dir $(REPORTS)
	$(BIN)/python benchmarks/bench_national.py --reports $(REPORTS) --corpus $(CORPUS)
	$(BIN)/python benchmarks/bench_hostile.py --reports $(REPORTS)

## fuzz: a few thousand mutated real reports through the bounded readers, then the full-size bomb
fuzz: install
	JTAI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) JTAI_FUZZ_VERBOSE=1 $(BIN)/python -m pytest -q -s \
		-p no:cacheprovider tests/test_fuzz_read.py
	$(BIN)/python benchmarks/bench_hostile.py --reports $(REPORTS) --check

clean:
	rm -rf out .pytest_cache .ruff_cache
