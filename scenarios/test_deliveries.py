"""The delivery matrix: 3 broadcast, 9 user and 3 group cells per publish path
(README, "What the report shows"); ``cell`` is parametrized in conftest.py from the stack."""

from __future__ import annotations

from harness.run.delivery import CellSpec


def test_delivery(cell: CellSpec, chat, record_delivery) -> None:
    result = chat.check(cell)
    record_delivery(result)
    assert result.ok, result.detail
