# Two commands do everything (see README.md):
#   make book   installs what is needed into .venv/, then builds the book, executing every chapter
#   make test   installs what is needed into .venv/, then runs every test, chapters included
# Both need Python 3.11 (the pinned pythia8mc wheel is built for it).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BOOK := deep-learning-intro-for-hep

.PHONY: install book test test-fast notebooks benchmarks clean

$(VENV)/installed.stamp: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/installed.stamp

# -n -W --keep-going: nitpicky, warnings are errors, and every problem is reported at once
book: install
	$(BIN)/jupyter-book build $(BOOK) -n -W --keep-going
	@echo "The book is in $(BOOK)/_build/html/index.html"

test: install
	$(BIN)/python -m pytest

# the unit tests of the package and the book's structure, without executing the chapters
test-fast: install
	$(BIN)/python -m pytest -m "not notebook and not browser"

notebooks: install
	$(BIN)/python -m jetimages.handout handout

benchmarks: install
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(BOOK)/_build $(BOOK)/*.ipynb handout
