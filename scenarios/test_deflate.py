"""The compressed path (``harness run --deflate``): the scripted clients offer
permessage-deflate as Chromium does, and what each server accepted is recorded.

The delivery matrix itself runs on these clients; this adds a message large and
repetitive enough that a compressing server sends it compressed, and judges it.
"""

from __future__ import annotations

import pytest

from harness.clients_deflate import BROWSER_OFFER, DeflateChatClient
from harness.fixtures import USERS
from harness.run.delivery import EVERYBODY, CellSpec

LARGE = "compress me, " * 700  # ~9 KB of text that deflate shrinks to a few dozen bytes


def test_compressed_broadcast(request: pytest.FixtureRequest, chat, record_check, record_fact) -> None:
    if not request.config.getoption("--chat-deflate"):
        pytest.skip("the plain clients offer no compression (harness run --deflate)")
    accepted = {user: getattr(chat.clients[user], "extensions", "") for user in USERS}
    assert all(isinstance(c, DeflateChatClient) for c in chat.clients.values())
    record_fact("deflate", {"offered": BROWSER_OFFER, "accepted": accepted})
    negotiated = sorted(set(accepted.values()))
    result = chat.check(CellSpec("broadcast", "admin", EVERYBODY), body=LARGE)
    problems = [result.detail] if not result.ok else []
    if len(negotiated) > 1:
        problems.append(f"the server answered the same offer differently: {accepted}")
    said = negotiated[0] if len(negotiated) == 1 else "mixed"
    shown = f"accepted {said!r}" if said else "declined (uncompressed)"
    detail = "; ".join(problems) if problems else f"a {len(LARGE)} B broadcast intact to everybody; {shown}"
    record_check("compressed broadcast", not problems, detail, value=said or "declined")
    assert not problems, detail
