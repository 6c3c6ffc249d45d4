"""The delivery matrix: 3 broadcast, 9 user and 3 group cells (see DESIGN.md)."""

from __future__ import annotations

import pytest

from harness.delivery import CellSpec, delivery_cells


@pytest.mark.parametrize("cell", delivery_cells(), ids=str)
def test_delivery(cell: CellSpec, chat, record_delivery) -> None:  # noqa: ANN001
    result = chat.check(cell)
    record_delivery(result)
    assert result.ok, result.detail
