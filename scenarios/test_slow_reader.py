"""Heavy (deep): the slow-reader check (harness/run/slow_reader.py; issue 12, DECISIONS 3)."""

from __future__ import annotations

import pytest

from harness.run.plugin import SENT_NOTHING
from harness.run.robustness import deaf_note
from harness.run.slow_reader import CHECK, slow_reader

# What the server logs while one socket is not read (a blocked send, a reset) is the
# check's own doing (DECISIONS 4).
pytestmark = [pytest.mark.deep(CHECK), pytest.mark.provokes_server_errors]


def test_slow_reader(request: pytest.FixtureRequest, chat, live_sut, record_check) -> None:
    note = deaf_note(chat)
    if note:
        request.node.stash[SENT_NOTHING] = True
        record_check(CHECK, False, note, family="robustness", value="not observed")
        raise AssertionError(note)
    found = slow_reader(chat, live_sut.usage)
    record_check(CHECK, found.ok, found.detail, family="robustness", value=found.value)
    assert found.ok, found.detail
