"""The chat page in a real browser (Chromium, headless): john logs in through the form and
chats on the page while admin and mary are scripted (harness/browser/check.py).

Once per server (the page does not depend on the channel layer).  Without an installed
Chromium and chromedriver the check is not tested, and says so: it is never a pass.
"""

from __future__ import annotations

import pytest

from harness.browser.check import check_chat_page
from harness.browser.chromium import NoBrowser
from harness.browser.shared import shared_browser
from harness.clients import DEAF_WARMUP, WARMUP_TIMEOUT
from harness.fixtures import USERS
from harness.run.delivery import ChatSession
from harness.run.per_server import REAL_BROWSER
from harness.stacks import stack_for


@pytest.mark.per_server
def test_chat_page_in_a_real_browser(request: pytest.FixtureRequest, chat_url: str, record_check, record_fact) -> None:
    try:
        browser = shared_browser()
    except NoBrowser as exc:
        record_fact("browser", {"not_tested": f"no browser: {exc}"})
        pytest.skip(f"not tested: no browser ({exc})")
    protocol = stack_for(request.config.getoption("--chat-stack")).page_protocol()
    warmup = DEAF_WARMUP if _deaf_server(request) else WARMUP_TIMEOUT
    finding = check_chat_page(browser, chat_url, protocol, warmup)
    record_fact("browser", finding.as_dict())
    record_check(REAL_BROWSER, finding.ok, finding.detail, family="browser", value=finding.extensions or "none")
    assert finding.ok, finding.detail


def _deaf_server(request: pytest.FixtureRequest) -> bool:
    """Whether the mode's scripted session (already set up by the scenarios before this one)
    got nothing at all on any socket: the delivery matrix's "deaf"."""
    try:
        chat = request.getfixturevalue("chat")
    except Exception:  # no session (its users could not log in): the page's check runs in full
        return False
    return isinstance(chat, ChatSession) and all(chat.deaf(user) for user in USERS)
