"""A server mode passes only when every scenario judged, and every cell is there."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.delivery import delivery_cells
from harness.run.plugin import Collector
from harness.run.verdict import server_verdict
from harness.stacks.ws4redis import Ws4redisProtocol

SCENARIOS = """
def test_judged_and_wrong():
    assert False, "mary received it but should not have"

def test_broken_harness():
    raise RuntimeError("boom inside the scenario")

def test_fine():
    pass
"""


def test_a_crashing_scenario_is_an_error_and_a_judged_one_is_not(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SCENARIOS)
    collector = Collector()
    pytest.main([str(tmp_path), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)], plugins=[collector])
    assert collector.errors == ["RuntimeError: boom inside the scenario"]


def _server() -> dict:
    return {"name": "uwsgi", "started": True, "error": None, "exceptions": []}


def _cells(count: int) -> list[dict]:
    return [
        {"kind": c.kind, "sender": c.sender, "target": c.target, "ok": True, "detail": ""}
        for c in delivery_cells(Ws4redisProtocol.publish_paths)[:count]
    ]


def test_all_cells_good_passes() -> None:
    assert server_verdict(_server(), _cells(15), [], 15) is None


def test_a_missing_cell_fails_the_server_even_if_the_rest_are_good() -> None:
    assert server_verdict(_server(), _cells(14), [], 15) == "uwsgi: 14 of 15 delivery cells were observed"


def test_a_broken_scenario_fails_the_server() -> None:
    reason = server_verdict(_server(), _cells(15), ["RuntimeError: boom"], 15)
    assert reason == "uwsgi: scenarios broke: RuntimeError: boom"
