"""What the harness does to help a stack, measured and reported instead of hidden."""

from __future__ import annotations

import requests

from harness.clients import HTTP_TIMEOUT, WARMUP_TIMEOUT, ChatClient
from harness.errors import ClientError
from harness.fixtures import USERS


def test_subscription_ready_after_101(chat, record_check) -> None:
    """A 101 does not mean subscribed (ws4redis subscribes after it): the session
    broadcasts until each socket hears one, and this is how long that took."""
    ready = chat.ready_after_101
    late = [user for user in USERS if user not in ready]
    shown = ", ".join(f"{user} {ready[user]:.0f} ms" for user in USERS if user in ready)
    detail = shown + (f"; {', '.join(late)}: not within {WARMUP_TIMEOUT:.0f} s" if late else "")
    record_check("subscription ready after 101", not late, detail)
    assert not late, detail


def test_keep_alive_http(chat_url: str, record_check) -> None:
    """The scripted clients send one request per connection (uWSGI's router drops a
    request sent on a connection it is about to close); a browser keeps connections
    alive.  Log in as a browser would, GET and POST on one pooled session, then GET /."""
    browser = ChatClient(chat_url, "john", keep_alive=True)
    try:
        browser.login()
        page = browser.http.get(chat_url + "/", timeout=HTTP_TIMEOUT)
        ok, detail = page.status_code == 200, f"login, then GET / {page.status_code}"
    except ClientError as exc:
        ok, detail = False, str(exc)
    except requests.RequestException as exc:
        ok, detail = False, f"login, then GET / failed: {type(exc).__name__}: {exc}"
    finally:
        browser.close()
    detail += " on a kept-alive session"
    record_check("keep-alive HTTP", ok, detail)
    assert ok, detail
