"""Rooms as in the Channels multichat example (stacks without rooms skip these)."""

from __future__ import annotations

import pytest

from harness.run.rooms import RoomScenario
from harness.stacks.base import Rooms

CHECKS = ("join_notice", "members_only", "leave_notice", "staff_only")


@pytest.mark.parametrize("check", CHECKS)
def test_room(check: str, chat, record_check) -> None:
    if not isinstance(chat.protocol, Rooms):
        pytest.skip("this stack has no rooms")
    result = getattr(RoomScenario(chat), check)()
    record_check(result.name, result.ok, result.detail)
    assert result.ok, result.detail
