"""Security: a foreign Origin (CSWSH), impersonation, eavesdropping, logout
(issue 12; DECISIONS 3, 6, 7).  Each check records its observed value."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from harness.run.per_server import FOREIGN_ORIGIN
from harness.run.security import (
    LogoutWatch,
    claim_watch,
    close_watch,
    eavesdrop_check,
    impersonation_check,
    logout_check,
    not_observed,
    origin_check,
    resolve_watch,
)

FAMILY = "security"


@pytest.fixture(scope="session")
def logout_watch(chat_url: str, request: pytest.FixtureRequest) -> Iterator[Future[LogoutWatch | None]]:
    """john's extra socket, logged out as early as possible so that the 5 s quiet period
    of the logout check overlaps other work: ``harness run`` starts it in the background
    once the server is up (while the previous mode runs); run by hand, the first test
    starts it in the background.  Only the check itself waits for it."""
    future = claim_watch(chat_url, request.config.getoption("--chat-stack"))
    yield future
    close_watch(future)


@pytest.mark.early
def test_logout_watch_starts(logout_watch: Future[LogoutWatch | None]) -> None:
    """Only starts the watch (records nothing): the check is test_logged_out_socket_is_deaf."""


@pytest.mark.per_server
def test_foreign_origin_refused(chat, record_check) -> None:
    found = origin_check(chat)
    record_check(FOREIGN_ORIGIN, found.ok, found.detail, family=FAMILY, value=found.value)
    assert found.ok, found.detail


def test_no_eavesdropping(chat, record_check) -> None:
    found = not_observed(chat) or eavesdrop_check(chat)
    record_check("no eavesdropping", found.ok, found.detail, family=FAMILY, value=found.value)
    assert found.ok, found.detail


def test_no_impersonation(chat, record_check) -> None:
    found = not_observed(chat) or impersonation_check(chat)
    record_check("no impersonation", found.ok, found.detail, family=FAMILY, value=found.value)
    assert found.ok, found.detail


def test_logged_out_socket_is_deaf(
    logout_watch: Future[LogoutWatch | None], chat, chat_url: str, request: pytest.FixtureRequest, record_check
) -> None:
    found = not_observed(chat)  # a session that hears nothing: no wait for the watch either
    if found is None:
        watch, own = resolve_watch(logout_watch, chat_url, request.config.getoption("--chat-stack"))
        try:
            found = logout_check(watch)
        finally:
            if own:
                watch.close()
    record_check("logout ends delivery", found.ok, found.detail, family=FAMILY, value=found.value)
    assert found.ok, found.detail
