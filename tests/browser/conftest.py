"""Browser fixtures: Debian's Chromium driven by Playwright (sync API) against pytest-django's
live server, with a real Celery worker when a test needs try-ons rendered.

`browser` is one Chromium for the session; `page` is a fresh context (cookies, localStorage) per
test that saves a full-page screenshot and fails the test on JavaScript errors; `demo_site` is the
live server with the demo shop seeded; `storefront` adds a worker. Tests using `demo_site` or
`storefront` need `pytest.mark.django_db(transaction=True)` (the server and worker are other
threads and processes and must see committed rows).
"""

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import ROOT
from tests.e2e.conftest import start_worker  # noqa: F401  (a fixture, re-exported)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def artifacts_dir() -> Path:
    base = os.environ.get("TEST_ARTIFACTS_DIR") or str(ROOT / "var" / "test-artifacts")
    return Path(base) / "browser"


# Per module, not per session: Playwright's sync API runs an asyncio loop in the main thread
# while it is open, and Django's async_to_sync refuses to run beside one, so tests that come
# after the browser tests (the `?wait=` views) failed while a session-wide browser stayed open.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium (/usr/bin/chromium) is not installed; .ci/run installs it")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would then refuse ORM calls
    # made by the tests themselves (seeding rows, checking them) as "async-unsafe". They are not.
    # Only while the browser is open: elsewhere the check must keep catching ORM calls from
    # async code.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class PageErrors:
    """JavaScript errors a page logged. A test that provokes errors on purpose calls `allow()`."""

    messages: list[str] = field(default_factory=list)
    allowed: bool = False

    def allow(self) -> None:
        self.allowed = True

    def console(self, kind: str, text: str) -> None:
        # Chromium logs every 4xx/5xx answer as a console error; an error answer is not a
        # JavaScript error (tests of error paths provoke them on purpose).
        if kind == "error" and not text.startswith("Failed to load resource"):
            self.messages.append(f"console: {text}")


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(browser, request, page_errors) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.messages.append(f"pageerror: {error}"))
    page.on("console", lambda message: page_errors.console(message.type, message.text))
    yield page
    out = artifacts_dir()
    out.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        # Closing hides the page, and the widget then sends its last funnel events by
        # sendBeacon (which page.route cannot stop): they would reach the live server after
        # this test's database is gone. The test is over; its page sends nothing more.
        page.evaluate("() => { navigator.sendBeacon = () => true; }")
    finally:
        context.close()
    if page_errors.messages and not page_errors.allowed:
        pytest.fail("The page logged JavaScript errors:\n" + "\n".join(page_errors.messages))


@pytest.fixture
def demo_site(live_server, settings) -> str:
    """The live server's base URL, with the demo shop seeded and signed URLs pointing at it."""
    settings.PUBLIC_BASE_URL = live_server.url
    call_command("demo_seed", verbosity=0)
    return live_server.url


@pytest.fixture
def storefront(demo_site, start_worker) -> str:  # noqa: F811
    """`demo_site` plus a real Celery worker rendering try-ons."""
    start_worker()
    return demo_site
