"""Browser tests: Playwright (Python, sync API) driving Debian's Chromium, headless, against
pytest-django's live server. Never `playwright install`: the browser is the distribution's
(`make test` installs it with apt)."""

from __future__ import annotations

import os

# Playwright's sync API runs an asyncio loop in this thread; Django refuses database access
# from a thread with a running loop unless told it is safe (as pytest-django documents for
# Playwright). Set before Django is used.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real (headless) Chromium; deselect with -m 'not browser'"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process (per xdist worker)."""
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail(
            "Debian's chromium is not installed: the browser tests need it "
            "(`make system-deps`, or `apt-get install chromium fonts-noto-cjk`). "
            "Do not run `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """test-results/<test name>/ (gitignored), emptied for each run."""
    folder = Path(request.config.rootpath) / "test-results" / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def hospital(transactional_db: None) -> SimpleNamespace:
    """The hospital of core.testing.BaseTestCase (the same personas, groups and services),
    created by the same code: the live server needs committed rows, so TestCase classes and
    their setUpTestData cannot be used here."""
    from itsm.core.testing import BaseTestCase

    hospital = SimpleNamespace()
    BaseTestCase.setUpTestData.__func__(hospital)  # type: ignore[attr-defined]
    return hospital
