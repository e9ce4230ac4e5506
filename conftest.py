"""The book's pytest plugin (booktools/pytest_plugin.py): the chapters under nbval."""

pytest_plugins = ["booktools.pytest_plugin"]
collect_ignore_glob = ["deep-learning-intro-for-hep/*.ipynb"]
