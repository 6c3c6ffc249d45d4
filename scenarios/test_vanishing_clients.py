"""Heavy (deep): the vanishing clients check, 200 clients that drop TCP after the
handshake and 50 that stop halfway through it, on the mode's server
(harness/run/vanishing.py; issue 12, DECISIONS 3 and 4)."""

from __future__ import annotations

import pytest

from harness.run.plugin import SENT_NOTHING
from harness.run.robustness import deaf_note
from harness.run.vanishing import CHECK, Reading, peer_address, read_tree, vanishing_clients

# Resets and broken pipes that the server logs meanwhile are the check's own doing (DECISIONS 4).
pytestmark = [pytest.mark.deep(CHECK), pytest.mark.provokes_server_errors]


def test_vanishing_clients(chat, live_sut, record_check, request: pytest.FixtureRequest) -> None:
    note = deaf_note(chat)
    if note:  # a deaf session cannot show that the server still serves
        request.node.stash[SENT_NOTHING] = True
        record_check(CHECK, False, note, family="robustness", value="not observed")
        raise AssertionError(note)
    endpoint = live_sut.prepared.config.redis
    redis = peer_address(endpoint.host, endpoint.port) if endpoint else None

    def reading() -> Reading:
        return read_tree(live_sut.server_pids(), redis)

    found = vanishing_clients(chat, reading)
    record_check(CHECK, found.ok, found.detail, family="robustness", value=found.value)
    assert found.ok, found.detail
