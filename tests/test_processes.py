"""--processes: placement of admin, john and mary, which cells cross processes,
the finding per mode, dev servers single; bad --processes, --rate, --repeat and
--sockets values as one line, exit 2."""

from __future__ import annotations

import pytest

from harness.cli.main import main
from harness.run.placement import cross_process_finding, crossing, finding_line, placement
from harness.sut.spread import dev_server_note, processes_for


def test_each_user_on_a_different_process_when_there_are_enough() -> None:
    assert placement(["a", "b", "c"]) == {"admin": 0, "john": 1, "mary": 2}
    assert placement(["a", "b"]) == {"admin": 0, "john": 1, "mary": 0}
    assert placement([]) == {}


def test_crossing_cells_on_two_processes() -> None:
    where = placement(["a", "b"])
    assert crossing("user", "admin", "mary", where) == []
    assert crossing("user", "admin", "john", where) == ["john"]
    assert crossing("group", "mary", "chatusers", where) == ["john"]  # chatusers = john, mary
    assert crossing("broadcast", "john", "everybody", where) == ["admin", "mary"]
    assert crossing("broadcast", "john", "everybody", {}) == []


def _cell(kind: str, sender: str, target: str, ok: bool) -> dict:
    return {"server": "daphne+inmemory", "path": "socket", "kind": kind, "sender": sender, "target": target, "ok": ok}


def test_the_finding_says_whether_exactly_the_crossing_cells_failed() -> None:
    exact = [
        _cell("user", "admin", "admin", True),
        _cell("user", "admin", "john", False),
        _cell("broadcast", "admin", "everybody", False),
    ]
    finding = cross_process_finding(exact, 2)["daphne+inmemory"]
    assert finding == {"crossing_cells": 2, "failed_crossing": 2, "failed_other": [], "exactly_crossing": True}
    assert "fails exactly the 2 cells that cross processes" in finding_line("daphne+inmemory", finding, 2)
    other = cross_process_finding([*exact[1:], _cell("user", "admin", "admin", False)], 2)["daphne+inmemory"]
    assert not other["exactly_crossing"] and other["failed_other"] == ["socket-user-admin-admin"]
    passing = cross_process_finding([_cell("user", "admin", "john", True)], 2)["daphne+inmemory"]
    assert finding_line("m", passing, 2) == "m: every cell passes on 2 processes, the 1 crossing ones included"


def test_dev_servers_stay_single() -> None:
    assert processes_for("runserver+redis", 4) == 1 and processes_for("daphne+redis", 4) == 4
    assert "dev server, runs as one process" in dev_server_note("runserver", 2)
    assert dev_server_note("uwsgi", 2) == "" and dev_server_note("runserver", 1) == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "py311-django42-channels4", "--processes", "0"], "--processes must be a whole number from 1 to 8"),
        (["run", "py311-django42-channels4", "--processes", "two"], "--processes must be a whole number"),
        (["load", "py311-django42-channels4", "--processes", "9"], "--processes must be a whole number"),
        (["load", "py311-django42-channels4", "--rate", "fast"], "--rate must be a number"),
        (["load", "py311-django42-channels4", "--rate", "0"], "--rate must be more than 0"),
        (["load", "py311-django42-channels4", "--rate", "nan"], "--rate must be more than 0"),
        (["load", "py311-django42-channels4", "--rate", "1e9"], "at most 1000"),
        (["load", "py311-django42-channels4", "--processes", "1,1"], "names a count twice"),
        (["load", "py311-django42-channels4", "--repeat", "0"], "--repeat must be a whole number from 1 to 10"),
        (["load", "py311-django42-channels4", "--sockets", "0"], "--sockets must be a whole number from 1 to 100000"),
        (["load", "py311-django42-channels4", "--sockets", "many"], "--sockets must be a whole number"),
        (["load", "py311-django42-channels4", "--sockets", "100001"], "--sockets must be a whole number"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(args: list[str], message: str, capsys: pytest.CaptureFixture) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
