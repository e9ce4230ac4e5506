# Two commands do everything (see README.md):
#   make book   installs what is needed into .venv/, then builds the book, executing the chapters
#   make test   installs what is needed into .venv/, then runs every test, chapters included
# Both need Python 3.11 (the pinned pythia8mc wheel is built for it).
# Students install only what the chapters need: `make install-student` (README.md, "For students").

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BOOK := deep-learning-intro-for-hep

.PHONY: install install-student lock book test test-fast lint notebooks lab format models benchmarks large-data clean

# pyproject.toml says what is needed (its extras: `student` for the chapters, `authors` for
# everything); requirements.lock fixes every version to the tested one.
CONSTRAINTS := -c requirements.lock

# .venv/, made if missing, with the book's package and one of its extras installed into it
define install_into_venv
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(1)]' $(CONSTRAINTS)
endef

# Two stamps: student.stamp says that the chapters' set (the `student` extra) is in .venv/,
# installed.stamp the authors' full set (the `authors` extra, which includes the students', so
# it sets both). After `make install-student`, `make install` finds no installed.stamp and adds
# the rest.
$(VENV)/installed.stamp: pyproject.toml requirements.lock
	$(call install_into_venv,authors)
	touch $@ $(VENV)/student.stamp

$(VENV)/student.stamp: pyproject.toml requirements.lock
	$(call install_into_venv,student)
	touch $@

install: $(VENV)/installed.stamp

# the students' light install: what the chapters need, without Pythia, the build or the tests
install-student: $(VENV)/student.stamp

# Move to the newest versions that pyproject.toml allows (README.md, "Pinned versions"): a fresh
# .venv without the lock, then the lock rewritten from it. Local labels such as +cpu are dropped,
# so that the lock also accepts the other builds of the same version (a CUDA torch, for one).
lock:
	rm -rf $(VENV)
	$(MAKE) install CONSTRAINTS=
	{ echo "# Every version of the tested environment; written by make lock (README.md, 'Pinned versions')."; \
	  $(BIN)/python -m pip freeze --exclude-editable | sed -E 's/\+[^+]*$$//'; } > requirements.lock.tmp
	mv requirements.lock.tmp requirements.lock
	touch $(VENV)/installed.stamp $(VENV)/student.stamp

# -n -W --keep-going: nitpicky, warnings are errors, and every problem is reported at once;
# --all: every page is read again, so every warning is seen again. A chapter runs only if the
# book's cache does not hold it executed with today's code and inputs (booktools/execution.py).
book: install
	$(BIN)/jupyter-book build $(BOOK) --all -n -W --keep-going
	@echo "The book is in $(BOOK)/_build/html/index.html"

# One pytest session (order: pyproject.toml's testpaths): the packages' unit tests; every chapter
# under nbval, each kept executed in the book's cache (booktools/execution.py); then the book's
# own tests, whose website tests build the book from that cache (nothing runs twice) and open it
# in Chromium. A chapter unchanged since it last passed, with the same packages, data and stored
# results, is not run again: `make test PYTEST_ARGS=--run-chapters` runs every chapter anyway.
test: install lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# one style for the package, the tests and the benchmarks: ruff's formatter, and the lint rules
# chosen in pyproject.toml ([tool.ruff.lint]); the chapters' code is checked by tests/test_format.py
LINTED := jetimages jetlearn booktools tests benchmarks conftest.py
lint: install
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/ruff check $(LINTED)

# the unit tests of the package and the book's structure, without executing the chapters
test-fast: install lint
	$(BIN)/python -m pytest -m "not notebook and not browser"

# the workshop handout: clean .ipynb of every chapter plus data/ in handout/
# (`make notebooks HANDOUT=--executed` for notebooks with their outputs)
notebooks: install
	$(BIN)/python -m booktools.handout handout $(HANDOUT)

# JupyterLab on the book folder, where a double click opens a .md chapter as a notebook: jupytext's
# default-viewer setting, written for this environment only (not into ~/.jupyter). Options for
# JupyterLab go in LAB_ARGS, for example `make lab LAB_ARGS="--no-browser --port=8899"`.
# As root (containers, some hubs) JupyterLab refuses to start without --allow-root: given here.
# It needs only the chapters' set, so that students who ran `make install-student` can use it.
LAB_SETTINGS := $(VENV)/etc/jupyter/labconfig/default_setting_overrides.json
LAB_AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
# jupytext's contents manager, which also hands JupyterLab the kernel's language_info, so that a
# chapter does not open already marked as changed (booktools/lab.py says why)
LAB_CONTENTS := --ServerApp.contents_manager_class=booktools.lab.ChapterContentsManager
lab: $(VENV)/student.stamp
	$(BIN)/jupytext-config --settings-file $(LAB_SETTINGS) set-default-viewer markdown myst
	$(if $(LAB_AS_ROOT),@echo "make lab: running as root: JupyterLab is started with --allow-root")
	$(BIN)/jupyter lab --notebook-dir=$(BOOK) $(LAB_AS_ROOT) $(LAB_CONTENTS) $(LAB_ARGS)

# the code cells of every chapter, formatted by ruff (settings in pyproject.toml) through jupytext,
# which rewrites only the code; tests/test_format.py fails on a chapter that this would change
format: install
	$(BIN)/jupytext --pipe "$(BIN)/ruff format -" $(BOOK)/[0-9]*.md

# data/trained-models/, the trainings that the chapters load instead of repeating them
# (jetlearn/kept.py): remade from one run of every chapter that trains everything, about
# 15 minutes on 2 cores. Run it when a model, its inputs, its recipe or the training code
# change: a chapter then finds no stored training that matches and trains it, slower.
models: install
	$(BIN)/python -m booktools.trained_models

# every benchmark, learning_curves.py on the larger dataset below (hours on 2 cores: README.md)
benchmarks: install $(LARGE)/jet-images.h5
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done

# The 400 000-jet dataset of benchmarks/learning_curves.py (README.md, "A larger dataset"), which
# git does not keep: eight shards, each a file of its own, so that an interrupted run keeps the
# shards it finished; then merged, and checked byte for byte against benchmarks/large-dataset.sha256.
# GENERATE_ON="--dask tcp://HOST:8786" runs each shard on a cluster: the bytes are the same.
LARGE := large-data
GENERATE_ON ?= --dask local --workers 2
LARGE_SHARDS := $(foreach shard,0 1 2 3 4 5 6 7,$(LARGE)/shard-$(shard)-of-8.h5)
large-data: $(LARGE)/jet-images.h5

$(LARGE)/shard-%-of-8.h5: | install
	$(BIN)/python -m jetimages generate --jets-per-class 80000 --seed 2 --shards 8 --shard $* \
		$(GENERATE_ON) --out $@

$(LARGE)/jet-images.h5: $(LARGE_SHARDS)
	$(BIN)/python -m jetimages merge $^ --out $@
	sha256sum --check benchmarks/large-dataset.sha256

clean:
	rm -rf $(BOOK)/_build $(BOOK)/*.ipynb handout
