"""Who may open a chat socket at all."""

from __future__ import annotations

import pytest

from harness.clients import ChatClient
from harness.errors import ClientError

GRACE = 2.0  # seconds an accepted anonymous socket has to be closed by the server


def test_anonymous_socket_is_refused(chat, chat_url: str, record_check) -> None:
    if not chat.protocol.refuses_anonymous:
        pytest.skip("this stack lets anonymous sockets hear broadcasts by design")
    anonymous = ChatClient(chat_url, "anonymous")
    try:
        anonymous.connect(chat.protocol.socket_path())
    except ClientError as exc:
        ok, detail = True, f"refused at the handshake: {str(exc).split(': ', 1)[-1]}"
    else:
        anonymous.inbox.wait_for(lambda frames: bool(frames), GRACE)
        frames = anonymous.inbox.snapshot()
        if frames:
            ok, detail = False, f"accepted, and it received {frames[0].text[:80]!r}"
        elif anonymous.inbox.closed_reason:
            ok, detail = True, f"accepted, then {anonymous.inbox.closed_reason} with nothing sent"
        else:
            ok, detail = False, f"accepted and still open after {GRACE:.0f} s"
    finally:
        anonymous.close()
    record_check("anonymous socket refused", ok, detail, family="security")
    assert ok, detail
