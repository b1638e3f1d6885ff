"""Browser journeys: Playwright drives Debian's Chromium (/usr/bin/chromium) against the live server.

Every page's console is watched: a Content-Security-Policy violation fails the journey.
"""

import pytest

# The session's one Chromium (`browser`) is defined in tests/conftest.py, shared with the
# scorecard's header row: Playwright's sync API allows one instance per thread at a time.


@pytest.fixture
def csp_violations():
    return []


@pytest.fixture
def page(browser, live_server, csp_violations):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)

    def watch(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            csp_violations.append(message.text)

    page.on("console", watch)
    yield page
    context.close()
    assert csp_violations == [], f"CSP violations in the browser console: {csp_violations}"
