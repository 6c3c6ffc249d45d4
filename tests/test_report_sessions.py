"""The report's sessions parts: the quiet-sockets grid and the server logs by exception."""

from __future__ import annotations

from harness.report.found import findings
from harness.report.sessions import render_quiet_sockets, render_server_logs, server_logs
from harness.results.schema import ItemVerdict, ModeVerdict, new_result


def _result() -> dict:
    result = new_result("py311-django42-channels4", "3.11", "4.2", "channels", "4.3")
    result["status"], result["as_expected"] = "logged-errors", False
    item = ItemVerdict("log:redis.exceptions.TimeoutError", "logged-errors", False, 1, 1, "1× redis...: Timeout")
    result["modes"] = [ModeVerdict("uvicorn+redis", "logged-errors", False, "r", 1, 40, 39, [item]).as_dict()]
    finding = {"exception": "redis.exceptions.TimeoutError", "last_line": "redis.exceptions.TimeoutError: Timeout"}
    result["servers"] = [
        {
            "name": "uvicorn+redis",
            "log_findings": [
                finding | {"count": 1, "phase": "run", "where": "a.py:1 in f", "check": ""},
                finding | {"count": 2, "phase": "shutdown", "where": "", "check": ""},
                {"exception": "ValueError", "last_line": "ValueError: bad frame", "count": 1, "phase": "provoked"}
                | {"where": "", "check": "test_bad_frame"},
            ],
        }
    ]
    session = {"server": "uvicorn+redis", "family": "sessions"}
    result["checks"] = [
        session | {"name": "idle sockets deliver", "ok": False, "value": "closed after 5.6 s", "detail": ""},
        session | {"name": "dead peer detected", "ok": True, "value": "40.1 s", "detail": ""},
        {"name": "keep-alive HTTP", "server": "uvicorn+redis", "ok": True, "family": "delivery", "value": None},
    ]
    return result


def test_server_logs_grouped_by_exception_and_phase() -> None:
    logged = server_logs([_result()])
    assert [(e.exception, e.phase, e.count) for e in logged] == [
        ("redis.exceptions.TimeoutError", "run", 1),
        ("redis.exceptions.TimeoutError", "shutdown", 2),
        ("ValueError", "provoked", 1),
    ]
    assert logged[2].affected == {"py311-django42-channels4": ["uvicorn+redis: test_bad_frame"]}
    text = "\n".join(render_server_logs([_result()]))
    assert "What the servers logged" in text and "provoked by a check" in text


def test_unprovoked_exception_is_one_new_finding_per_exception() -> None:
    [finding] = findings([_result()])
    assert (finding.status, finding.outcomes) == ("new", {"logged-errors"})
    assert finding.cause.startswith("server logged redis.exceptions.TimeoutError (unprovoked): 1×")


def test_quiet_sockets_grid_counts_envs_per_stack_line_and_mode_dead_peer_last() -> None:
    other = _result()
    other["env"] = "py312-django52-channels4"
    other["checks"] = [
        {**c, "ok": True, "value": "30.0 s quiet"} if c["name"] == "idle sockets deliver" else c
        for c in other["checks"]
    ]
    text = render_quiet_sockets([_result(), other])
    assert "     - idle sockets deliver" in text and text.index("     - idle sockets deliver") < text.index(
        "     - dead peer detected"
    )
    [row] = [i for i, line in enumerate(text) if line.startswith("   * - ") and "Stack line" not in line]
    assert text[row : row + 4] == [
        "   * - channels4",
        "     - uvicorn+redis",
        "     - ✗ 1 of 2: py311-django42-channels4 (closed after 5.6 s)",
        "     - ✓ 2 of 2 envs",
    ]
    assert not any("keep-alive" in line for line in text)
    # A failure an expectation names says so.
    known = _result()
    known["env"] = "py313-django52-channels4"
    idle = ItemVerdict("check:idle sockets deliver", "known", True, 1, 1, "closed", "brpop-timeout")
    known["modes"] = [ModeVerdict("uvicorn+redis", "known", True, "r", 1, 40, 39, [idle]).as_dict()]
    assert (
        "     - ✗ 1 of 1 (known: brpop-timeout): py313-django52-channels4 (closed after 5.6 s)"
        in render_quiet_sockets([known])
    )
