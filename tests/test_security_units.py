"""Units of the security and robustness checks (issue 12) that need no server: the
bounded size search, its verdict, and the report's family tables."""

from __future__ import annotations

import pytest

from harness.report.blocks import Table
from harness.report.families import cell_text, family_blocks, render_family_grids
from harness.run.probes import EchoPath, Heard
from harness.run.robustness import MAX_PROBES, judge_size, message_size_limit

TOO_BIG = Heard(closed="closed by server: 1009 message too big")
DROPPED = Heard(closed="connection lost: ConnectionResetError")


def _search(limit: int, refusal: Heard = TOO_BIG, slow_from: int | None = None):
    sizes: list[int] = []

    def probe(base_url, cookie, echo, size, ignore):
        sizes.append(size)
        if slow_from is not None and size >= slow_from:
            return "slow", Heard(timed_out=True)
        return ("accepted", Heard(frames=[b"ok"])) if size <= limit else ("refused", refusal)

    found = judge_size(*message_size_limit("", "", EchoPath("/ws/{n}", json_commands=False), probe=probe))
    return found, sizes


@pytest.mark.parametrize(
    ("limit", "value"),
    [
        (2**20, "limit = 1 MiB, then closed 1009"),  # daphne
        (2**24, "limit = 16 MiB, then closed 1009"),  # uvicorn's ws_max_size
        (2**16, "limit = 64 KiB, then closed 1009"),
        (60_000, "limit < 64 KiB, then closed 1009"),
        (3_000_000, "2816 KiB ≤ limit < 3 MiB, then closed 1009"),
    ],
)
def test_size_search_is_bounded_and_finds_the_limit(limit: int, value: str) -> None:
    found, sizes = _search(limit)
    assert (found.ok, found.value) == (True, value)
    assert len(sizes) <= MAX_PROBES and sizes[0] == 2**20


def test_a_refusal_without_1009_fails_and_says_how() -> None:
    found, _ = _search(2**20, refusal=DROPPED)
    assert (found.ok, found.value) == (False, "limit = 1 MiB, then dropped")
    assert "expected a 1009 close" in found.detail


def test_no_limit_up_to_16_mib_fails() -> None:
    found, sizes = _search(2**30)
    assert not found.ok and found.value == "limit ≥ 16777217 B" and len(sizes) == 4


def test_a_slow_probe_stops_the_search_by_time() -> None:
    found, sizes = _search(2**30, slow_from=2**22)
    assert not found.ok and found.value == "limit ≥ 1 MiB (search stopped by time)" and sizes[-1] == 2**23


def _check(name: str, server: str, ok: bool, value: object, family: str = "security") -> dict:
    return {"name": name, "server": server, "ok": ok, "detail": "", "family": family, "value": value, "run": 0}


RESULT = {
    "env": "py311-django42-channels4",
    "servers": [{"name": m} for m in ("daphne+redis", "daphne+inmemory", "uvicorn+redis")],
    "checks": [
        _check("non-ASCII broadcast intact", "daphne+redis", True, None, family="delivery"),
        _check("foreign Origin refused", "daphne+redis", True, "refused 403"),  # per server
        _check("foreign Origin refused", "uvicorn+redis", False, "accepted"),
        _check("message size limit", "daphne+redis", False, "limit = 1 MiB, then dropped", "robustness"),
        _check("message size limit", "uvicorn+redis", True, "limit = 16 MiB, then closed 1009", "robustness"),
        _check("logout ends delivery", "daphne+redis", False, "still delivers"),
        _check("logout ends delivery", "daphne+inmemory", False, "still delivers"),
        _check("logout ends delivery", "uvicorn+redis", False, "still delivers"),
    ],
}


def test_env_table_shows_per_server_checks_on_each_layer() -> None:
    [_, _, table] = family_blocks(RESULT)
    assert isinstance(table, Table)
    assert table.header == ["Family", "Check", "daphne+redis", "daphne+inmemory", "uvicorn+redis"]
    rows = {row[1]: row[2:] for row in table.rows}
    assert rows["foreign Origin refused"] == ["✓ refused 403", "✓ refused 403", "✗ accepted"]
    assert rows["message size limit"][1] == "✗ limit = 1 MiB, then dropped"
    assert "non-ASCII broadcast intact" not in rows  # delivery checks have their own tables


def test_grid_names_the_servers_that_pass_and_fail() -> None:
    rst = "\n".join(render_family_grids([RESULT]))
    assert "Security checks" in rst and "Robustness checks" in rst
    assert "✓ daphne ✗ uvicorn" in rst and "✓ uvicorn ✗ daphne" in rst


def test_a_long_value_is_cut_and_a_missing_check_is_a_dash() -> None:
    assert cell_text(None) == "─"
    assert cell_text(_check("x", "m", True, "v" * 100)).endswith("…")
