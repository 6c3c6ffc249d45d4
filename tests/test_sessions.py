"""The session checks a mode's server is held for: each judged when it ripens."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.cli.run import heavy_checks, long_idle_seconds
from harness.errors import BadInput
from harness.run.deadpeer import DeadPeer
from harness.run.plugin import Collector
from harness.run.sessions import HeldMode
from harness.stacks.channels import ChannelsStack


@dataclass
class _Watch:
    ripe_at: float
    closed: list[str] = field(default_factory=list)

    def deliver(self) -> dict[str, object]:
        return {"name": f"ripe at {self.ripe_at}", "ok": True}

    def close(self) -> None:
        self.closed.append("closed")


def test_each_check_is_judged_when_it_ripens_and_the_mode_once_all_are() -> None:
    early, late = _Watch(10.0), _Watch(20.0)
    held = HeldMode(server=None, attempt=0, collector=Collector(), watches=[early, late])  # type: ignore[arg-type]
    assert held.ready_at == 10.0 and not held.judged
    held.judge_ripe(15.0)
    assert [c["name"] for c in held.collector.checks] == ["ripe at 10.0"] and early.closed == ["closed"]
    assert held.ready_at == 20.0 and not held.judged
    held.judge_ripe(20.0)
    assert held.judged and len(held.collector.checks) == 2


def test_a_held_deep_mode_waits_until_its_checks_open() -> None:
    held = HeldMode(server=None, attempt=0, collector=Collector(), held=True)  # type: ignore[arg-type]
    assert held.ready_at == float("inf") and not held.judged


def test_a_dead_peer_that_could_not_open_is_ripe_at_a_fixed_time_and_says_why(tmp_path: Path) -> None:
    peer = DeadPeer("daphne+inmemory", ChannelsStack()).open("http://127.0.0.1:9")  # nothing listens there
    ripe = peer.ripe_at
    time.sleep(0.01)
    assert peer.ripe_at == ripe <= time.monotonic()  # not "now" on every call: the loop would never judge it
    server = SimpleNamespace(log_path=tmp_path / "server.log")
    server.log_path.write_bytes(b"quiet\n")
    held = HeldMode(server=server, attempt=0, collector=Collector(), watches=[peer])  # type: ignore[arg-type]
    held.judge_ripe(time.monotonic())
    assert held.collector.provoked == [("dead peer detected", 6, 6)]  # what its vanishing made the server log
    [check] = held.collector.checks
    assert (check["name"], check["ok"], check["family"]) == ("dead peer detected", False, "sessions")
    assert str(check["detail"]).startswith("could not open the silent socket")


def test_deep_options_take_what_they_name_and_refuse_the_rest_in_one_line() -> None:
    assert long_idle_seconds("65,300") == (65.0, 300.0) and long_idle_seconds("0") == ()
    assert heavy_checks(["Redis restart"]) == ("Redis restart",)
    with pytest.raises(BadInput, match=r"^--long-idle 'soon': expected seconds between 0 and 600"):
        long_idle_seconds("soon")
    with pytest.raises(BadInput, match=r"^--heavy 'redis': expected one of 'Redis restart', "):
        heavy_checks(["redis"])
