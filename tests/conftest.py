"""Headless Chromium for the browser tests (tests/website/, tests/test_jupyterlab.py).

The pytest plugin pytest-playwright provides the fixtures `playwright`, `browser`, `page` and
its command-line options (`--headed`, `--slowmo`, `--browser-channel`, ...). Here: which Chromium
it starts, with which flags, and what happens without one. The Chromium is the system's (Debian:
`apt-get install chromium`; or the one named by the environment variable CHROMIUM), else
Playwright's own (`python -m playwright install chromium`). Without one that starts, a test that
needs it skips, except where the environment variable CI is set, where it fails.
"""

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_CHROMIUM = (
    "install Chromium: `sudo apt-get install chromium` (Debian, Ubuntu) "
    "or `python -m playwright install chromium` (any system)"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium"]
    candidates += [
        shutil.which(name)
        for name in (
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        )
    ]
    return next(
        (c for c in candidates if c and Path(c).is_file() and os.access(c, os.X_OK)),
        None,
    )


def no_browser(reason: str):
    message = f"no Chromium for the browser tests ({reason}); {INSTALL_CHROMIUM}"
    if in_ci():
        pytest.fail(
            message + " [CI is set, so this is a failure, not a skip]", pytrace=False
        )
    pytest.skip(message)


if importlib.util.find_spec("pytest_playwright") is None:

    @pytest.fixture(scope="session")
    def browser():
        """Stands in for pytest-playwright's fixture where that plugin is missing."""
        no_browser(
            "the pytest plugin pytest-playwright is not installed; "
            "`pip install -e '.[authors]' -c requirements.lock`"
        )

else:
    from playwright.sync_api import Error as PlaywrightError

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args, browser_type) -> dict:
        """pytest-playwright's launch options, with the system's Chromium and the flags above."""
        # another engine (`pytest --browser firefox`): Playwright's own, as it comes
        if browser_type.name != "chromium":
            return browser_type_launch_args
        executable = find_chromium()
        found = {"executable_path": executable} if executable else {}
        return {**browser_type_launch_args, "args": CHROMIUM_FLAGS, **found}

    @pytest.fixture(scope="session")
    def browser(launch_browser, browser_type_launch_args):
        """pytest-playwright's headless browser, started once per test session; skipped (failed
        under CI) where it does not start."""
        try:
            chromium = launch_browser()
        except PlaywrightError as error:
            name = browser_type_launch_args.get("executable_path", "Playwright's own")
            failure = f"{name} did not start: {str(error).splitlines()[0]}"
        else:
            yield chromium
            chromium.close()
            return
        no_browser(failure)  # outside the except clause: no chained traceback
