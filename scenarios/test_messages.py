"""Message content: what a chat must carry besides plain ASCII."""

from __future__ import annotations

from harness.run.delivery import EVERYBODY, CellSpec

NON_ASCII = "héllo ✓ 日本語 — ünïcode"


def test_non_ascii_broadcast_arrives_intact(chat, record_check) -> None:
    result = chat.check(CellSpec("broadcast", "john", EVERYBODY), body=NON_ASCII)
    detail = result.detail or f"received intact by {', '.join(result.received)}"
    record_check("non-ASCII broadcast intact", result.ok, detail)
    assert result.ok, result.detail
