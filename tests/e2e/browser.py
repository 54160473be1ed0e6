"""Launching Debian's chromium through Playwright for the browser tests."""

import contextlib

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextlib.contextmanager
def chromium_launched(executable: str):
    """A headless chromium at `executable`. The test calls `require_executable("chromium")` itself,
    so that a missing chromium fails the test under CI (and skips it on a laptop)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
