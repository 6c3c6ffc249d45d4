"""Conformance can fail and can't lie: Autobahn|Testsuite (the harness's own tool
venv) against a correct asyncio ``websockets`` echo server and one that drops
empty messages (tests/broken_servers/echo_server.py), judged as the command does."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import websocket

from harness.conformance import tool
from harness.conformance.cases import case_patterns
from harness.conformance.keys import cache_key, key_facts, run_name
from harness.conformance.summary import judge, not_tested
from harness.conformance.tool import ToolMissing, ensure_wstest
from harness.conformance.wstest import run_wstest
from harness.errors import BadInput
from harness.report.conformance import conformance_section, glance_lines
from harness.report.write import render_html
from harness.run.expectations import EnvFacts, load_expectations
from harness.run.runner import stale_expectations
from harness.run.verdict import Observation
from harness.sut.ports import free_port
from harness.sut.procs import ManagedProcess
from tests.conftest import BROKEN_SERVERS, processes

# Framing, pings and a few fragmentation cases: ~5 s against a fast server.
CASES = "1.*,2.*,5.1,5.2,5.6,5.7"
EMPTY_MESSAGE_CASES = {"1.1.1", "1.2.1"}  # an empty text, an empty binary message


@pytest.fixture(scope="module")
def wstest(work_root: Path) -> Path:
    try:
        return ensure_wstest(work_root)
    except ToolMissing as exc:
        pytest.skip(str(exc))


def _drive(wstest: Path, behaviour: str, outdir: Path) -> list:
    port = free_port()
    server = ManagedProcess(
        [sys.executable, str(BROKEN_SERVERS / "echo_server.py"), str(port), behaviour], outdir.parent / "echo.log"
    )
    try:
        deadline = time.monotonic() + 15
        while True:  # bounded: the server is up when a handshake succeeds
            try:
                websocket.create_connection(f"ws://127.0.0.1:{port}/", timeout=2).close()
                break
            except (OSError, websocket.WebSocketException):
                assert time.monotonic() < deadline, server.last_log_lines()
                time.sleep(0.1)
        return run_wstest(wstest, f"ws://127.0.0.1:{port}/", case_patterns(CASES), outdir, timeout=120).cases
    finally:
        server.stop()


def _summary(cases: list, expectations_file: Path | None = None) -> dict:
    base = {"name": "echo", "server": "echo"}
    expectations = load_expectations(expectations_file) if expectations_file else []
    return judge(base, cases, EnvFacts("3.11", "4.2", "", {"websockets": "17"}), expectations)


def test_correct_echo_server_is_clean(wstest: Path, tmp_path: Path) -> None:
    summary = _summary(_drive(wstest, "correct", tmp_path / "out"))
    assert summary["counts"]["FAILED"] == 0 and summary["failed"] == [], summary["failed"]
    assert summary["counts"]["OK"] == summary["total"] == 31 and summary["as_expected"]
    index = json.loads((tmp_path / "out" / "index.json").read_text())
    assert len(index["server"]) == summary["total"]  # every case of index.json was read
    assert not [args for _, _, args in processes() if "echo_server.py" in args or str(tmp_path) in args]


def test_dropping_empty_messages_fails_exactly_those_cases(wstest: Path, tmp_path: Path) -> None:
    summary = _summary(_drive(wstest, "drop-empty", tmp_path / "out"))
    assert {f["case"] for f in summary["failed"]} == EMPTY_MESSAGE_CASES
    assert summary["counts"]["FAILED"] == 2 and not summary["as_expected"]
    assert all(f["outcome"] == "fail" and f["description"] for f in summary["failed"])
    assert len(summary["unexpected"]) == 2
    # The same failures named by an expectation are known, and the run is as expected.
    entry = tmp_path / "expect.toml"
    entry.write_text(
        '[[expect]]\nid = "drops-empty"\noutcome = "fail"\ncause = "drops empty messages"\n'
        'upstream = ["tests/broken_servers/echo_server.py"]\n[expect.when]\nmode = ["echo"]\n'
        'items = ["conformance:1.1.1", "conformance:1.2.1"]\n'
    )
    known = _summary(_drive(wstest, "drop-empty", tmp_path / "again"), entry)
    assert known["as_expected"] and {f["outcome"] for f in known["failed"]} == {"known"}
    assert not [args for _, _, args in processes() if "echo_server.py" in args or str(tmp_path) in args]


def test_case_selection() -> None:
    assert case_patterns("1-10") == [f"{c}.*" for c in ("1", "2", "3", "4", "5", "6", "7", "9", "10")]
    assert case_patterns("all") == ["*"] and case_patterns("1.1.*, 2.3") == ["1.1.*", "2.3"]
    assert case_patterns("1-7,10") == [f"{c}.*" for c in ("1", "2", "3", "4", "5", "6", "7", "10")]
    for bad in ("", "11-11", "x", "1.a", "8.1", "10-1", "1-7,"):
        with pytest.raises(BadInput):
            case_patterns(bad)


def test_key_changes_with_what_makes_the_server() -> None:
    facts = key_facts("channels", "daphne", {"daphne": "4.2.3", "autobahn": "24"}, "3.11.7", "", ["1.*"])
    assert cache_key(facts) == cache_key(dict(reversed(list(facts.items()))))
    for changed in ({"python": "3.12.1"}, {"variant": "wsaccel"}, {"packages": {"daphne": "4.2.2"}}):
        assert cache_key(facts | changed) != cache_key(facts)
    assert run_name("channels", "daphne", facts).startswith("daphne-4.2.3-py3.11.7-")


def test_report_section_renders_without_docutils_warnings(wstest: Path, tmp_path: Path) -> None:
    summary = _summary(_drive(wstest, "drop-empty", tmp_path / "out"))
    summary |= {
        "kind": "conformance",
        "family": "channels",
        "server": "daphne",
        "version": "0",
        "python": "3.11",
        "env": "py311-django42-channels4",
        "packages": {"daphne": "0"},
        "tool": "autobahntestsuite 25.10.1",
        "cases_selection": CASES,
        "report_dir": "conformance/echo",
        "cached": False,
        "seconds": 1.0,
        "status": "tested",
    }
    rst = "\n".join(glance_lines([summary]) + conformance_section([summary]))
    html = render_html(rst)  # raises on any docutils warning
    assert "1.1.1" in html and "conformance/echo/server_case_1_1_1.html" in html and "✗ 2 unexpected" in html


def test_conformance_entries_are_not_stale_for_harness_run(tmp_path: Path) -> None:
    entry = tmp_path / "expect.toml"
    entry.write_text(
        '[[expect]]\nid = "empty"\noutcome = "fail"\ncause = "drops empty messages"\nupstream = ["x"]\n'
        '[expect.when]\nmode = ["daphne"]\nitems = ["conformance:1.1.1"]\n'
    )
    ran = {"daphne+redis": [Observation("cell:socket-broadcast-admin-all", True, "")]}
    assert stale_expectations(EnvFacts("3.11", "4.2"), load_expectations(entry), ran) == []


def test_no_python27_is_one_line_and_not_tested(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tool, "find_interpreter", lambda version: None)
    with pytest.raises(ToolMissing, match=r"^Autobahn\|Testsuite needs Python 2\.7 \(python2\.7 not found\)$"):
        ensure_wstest(tmp_path)
    summary = not_tested({"name": "x"}, "not tested: no tool")
    assert summary["status"] == "not-tested" and summary["as_expected"] and summary["counts"]["OK"] == 0
