"""The browser tests' fixtures: Debian's chromium driven by Playwright, and the job tests' real worker process.

Collected only with `pytest --e2e` (`make test-e2e`); tests/conftest.py keeps this folder out of `make test`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

# The worker fixture of the job tests, shared by import: pytest finds fixtures by name in a conftest's namespace.
from tests.jobs.conftest import worker_process

__all__ = ["browser", "chromium", "page", "worker_process"]

# Debian's package, never a browser Playwright downloads (`make test-e2e` installs it; CHROMIUM is the Makefile's).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    # These machines run the tests as root, where chromium's sandbox cannot start.
    "--no-sandbox",
    "--disable-gpu",
    # Nothing but the loopback server may be contacted: no QUIC probes, no update, sync or background fetches.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Playwright's own default is 30 s per action; a GraphiQL step on the loopback takes well under a second.
ACTION_TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def chromium() -> str:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: `make test-e2e` installs Debian's chromium package")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        # headless=True passes --headless; Playwright starts every launch on a fresh temporary user-data dir.
        launched = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A new tab in a fresh browser context: GraphiQL keeps tabs and headers in localStorage, and no test may see
    what another left there."""
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield await context.new_page()
    finally:
        await context.close()
