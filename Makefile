# Gradients Through Time: every step installs what it needs, on a fresh Debian machine too.
#   make book   execute the chapters and build the HTML book (book/_build/html)
#   make test   build everything and run every test (what CI runs)
#   make pdf    the whole book as one PDF (book/_build/latex/book.pdf)
#   make bench  each chapter's cost in reference-step units (last build), then the speed benchmarks
#               (one chapter's costliest cells: cd benchmarks && python cell_cost.py ../book/chapters/X.ipynb)
#   make experiments  run the training studies into results/ (hours; resumable; STUDY=adding
#               PART=pilot SLICE=0:20 WORKERS=2 narrow it; ARGS=--prune-stale drops records a
#               changed pilot made stale), outside the book's build
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
JB := $(VENV)/bin/jupyter-book
APT := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends
# The build shows no progress bars (they would print into the pages); readers get them.
BUILD_ENV := TQDM_DISABLE=1 PYTHONHASHSEED=0

.PHONY: setup sysdeps-browser sysdeps-tex book pdf test test-gpu lint bench experiments mutate clean

$(VENV)/.installed: requirements-dev.txt pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

book/_vendor/mathjax/tex-chtml.js build/vendor/axe-core/axe.min.js:
	scripts/vendor.sh

setup: $(VENV)/.installed book/_vendor/mathjax/tex-chtml.js build/vendor/axe-core/axe.min.js

sysdeps-browser:
	@dpkg -s chromium >/dev/null 2>&1 || { apt-get update -qq && $(APT) chromium fonts-liberation; }

sysdeps-tex:
	@dpkg -s texlive-xetex latexmk poppler-utils fonts-freefont-otf >/dev/null 2>&1 || { \
	  apt-get update -qq && $(APT) latexmk texlive-latex-extra texlive-xetex \
	  texlive-fonts-recommended fonts-freefont-otf poppler-utils; }

# The execution cache keys on each notebook's code; a change to the library must also
# execute the chapters again, so it empties the cache.
LIB_SOURCES := $(shell find lib/rnngrad -name '*.py')

book/_build/.lib-stamp: $(LIB_SOURCES)
	rm -rf book/_build/.jupyter_cache
	mkdir -p book/_build && touch $@

# The HTML book is rebuilt only when a source changed (a warm `make book` does nothing);
# a rebuild renders every page (--all), executing only the chapters the cache lacks.
# A new record in results/ changes no notebook's code: forget the pages that read the archive.
RESULTS := $(wildcard results/*.csv)

book/_build/.results-stamp: $(RESULTS) | book/_build/.lib-stamp
	$(PY) scripts/uncache_archive_readers.py book/_build/.jupyter_cache book
	touch $@

BOOK_SOURCES := $(shell find book -path book/_build -prune -o -type f -print) $(LIB_SOURCES) $(RESULTS)

book/_build/.book-stamp: $(BOOK_SOURCES)
	$(BUILD_ENV) $(JB) build --all -W -n --keep-going book/
	cd benchmarks && ../$(PY) book_cost.py --record  # the unit, in the run that executed the chapters
	$(PY) scripts/launch_notebooks.py --executed book/_build/jupyter_execute  # launch/: what Colab and Binder open
	touch $@

book: setup book/_build/.lib-stamp book/_build/.results-stamp book/_build/.book-stamp

pdf: setup sysdeps-tex
	$(BUILD_ENV) $(JB) build --builder pdflatex -n --keep-going book/
	@test -f book/_build/latex/book.pdf && echo "PDF: book/_build/latex/book.pdf"
	mkdir -p book/_build/html && cp book/_build/latex/book.pdf book/_build/html/book.pdf

# ruff, then the library's layer contract (pyproject.toml, [tool.importlinter]): an import
# that points up a layer fails here.
lint: setup
	$(VENV)/bin/ruff check lib tests benchmarks scripts book/chapters book/_ext
	$(VENV)/bin/ruff format --check lib tests benchmarks scripts
	$(VENV)/bin/lint-imports

test: setup sysdeps-browser sysdeps-tex lint book pdf
	$(VENV)/bin/pytest -q -ra

# The GPU path (cuDNN against the replay, training on the device, the device report), on a
# machine with CUDA; tests/gpu is outside pytest's testpaths, so `make test` never collects it.
test-gpu: setup
	$(VENV)/bin/pytest -q -ra tests/gpu

bench: setup
	cd benchmarks && ../$(PY) book_cost.py && ../$(PY) train_step.py && ../$(PY) fused_vs_cells.py && ../$(PY) adding_t100.py && ../$(PY) sequence_length.py && ../$(PY) scan_vs_loop.py && ../$(PY) batched_seeds.py

# The studies behind the verdicts, outside the build: resumable, one thread per worker.
STUDY ?=
PART ?= all
SLICE ?= 0:
experiments: setup
	PYTHONHASHSEED=0 $(PY) scripts/experiments.py $(foreach s,$(STUDY),--study $(s)) --part $(PART) \
	  --slice $(SLICE) $(if $(WORKERS),--workers $(WORKERS)) $(ARGS)
	PYTHONHASHSEED=0 $(PY) scripts/experiments.py $(foreach s,$(STUDY),--study $(s)) --specimens

# Mutation testing of one module against its own unit tests (mutmut; [tool.mutmut] in
# pyproject.toml): make mutate MODULE=lib/rnngrad/training/verdict.py [TESTS=...] [JOBS=2].
# TESTS defaults to tests/unit/test_<module>.py (and test_<module>_*.py). mutmut runs in a
# fresh copy, build/mutate/, with rnngrad/ at the top (it names mutants by path); prints the
# score (killed / total) and the surviving mutants (`mutmut show NAME` there shows one).
MODULE ?=
TESTS ?= $(wildcard tests/unit/test_$(basename $(notdir $(MODULE))).py \
  tests/unit/test_$(basename $(notdir $(MODULE)))_*.py)
JOBS ?= $(shell nproc)
MUTATE_DIR := build/mutate
mutate: $(VENV)/.installed
	@test -f "$(MODULE)" || { echo "usage: make mutate MODULE=lib/rnngrad/<layer>/<module>.py"; exit 2; }
	@test -n "$(strip $(TESTS))" || { echo "no unit tests found for $(MODULE): give TESTS=..."; exit 2; }
	rm -rf $(MUTATE_DIR) && mkdir -p $(MUTATE_DIR)/tests
	cp -r lib/rnngrad $(MUTATE_DIR)/rnngrad
	cp -r tests/conftest.py tests/unit $(MUTATE_DIR)/tests/
	sed -e '/^\[tool\.mutmut\]$$/a only_mutate = ["$(patsubst lib/%,%,$(MODULE))"]' \
	  -e '/^\[tool\.mutmut\]$$/a pytest_add_cli_args_test_selection = [$(foreach t,$(TESTS),"$(t)",)]' \
	  pyproject.toml > $(MUTATE_DIR)/pyproject.toml
	cd $(MUTATE_DIR) && $(abspath $(VENV))/bin/mutmut run --max-children $(JOBS)
	cd $(MUTATE_DIR) && $(abspath $(VENV))/bin/mutmut export-cicd-stats >/dev/null
	@$(PY) -c 'import json; s = json.load(open("$(MUTATE_DIR)/mutants/mutmut-cicd-stats.json")); \
	  print("mutation score of $(MODULE): %(killed)d killed / %(total)d mutants (%(survived)d" \
	  " survived, %(timeout)d timed out, %(no_tests)d untested)" % s)'
	@echo "surviving mutants:" && cd $(MUTATE_DIR) && $(abspath $(VENV))/bin/mutmut results

clean:
	rm -rf book/_build
