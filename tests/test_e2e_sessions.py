"""Broken Channels servers that only the sessions checks can catch: a server that
closes quiet sockets (the idle check fails, naming the time), and a consumer that
raises on one message type (the server-log finding, while every delivery passes)."""

from __future__ import annotations

import pytest

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV
from tests.test_e2e_security import DAPHNE_KNOWN, LOGOUT, UVICORN_KNOWN

pytestmark = pytest.mark.e2e

IDLE = "idle sockets deliver"


def _broken(settings: str, mode: str, run_harness, *args: str):
    return run_harness(
        CHANNELS_E2E_ENV, "--server", mode, "--pythonpath", str(BROKEN_SERVERS), "--settings", settings, *args
    )


def test_server_closing_quiet_sockets_fails_only_the_idle_check_naming_the_time(run_harness) -> None:
    code, result, output = _broken(
        "channels_idle_close_settings", "daphne+inmemory", run_harness, "--idle", "5", "--reruns", "0"
    )
    assert (code, result["status"], result["as_expected"]) == (1, "fail", False), output
    assert all(c["ok"] for c in result["deliveries"]), output  # active sockets are never closed
    failed = {c["name"]: c for c in result["checks"] if not c["ok"] and c["name"] not in DAPHNE_KNOWN}
    assert list(failed) == [IDLE], output
    idle = failed[IDLE]
    assert idle["family"] == "sessions" and idle["value"].startswith("closed after 3."), idle["value"]
    for user in ("admin", "john", "mary"):
        # closed by the server with its code, after the broken server's 3 s (not the 5 s we waited)
        assert f"{user}'s socket closed by server: 4408 application code after 3." in idle["detail"], idle["detail"]
    assert [m["outcome"] for m in result["modes"]] == ["fail"]


def test_consumer_raising_on_disconnect_is_a_log_finding_while_every_delivery_passes(run_harness) -> None:
    code, result, output = _broken("channels_raise_on_disconnect_settings", "uvicorn+inmemory", run_harness)
    assert all(c["ok"] for c in result["deliveries"]) and len(result["deliveries"]) == 30, output
    assert all(c["ok"] for c in result["checks"] if c["name"] not in UVICORN_KNOWN), output
    assert (code, result["status"], result["as_expected"]) == (1, "logged-errors", False), output
    [mode] = result["modes"]
    items = {(i["item"], i["outcome"]) for i in mode["items"]}
    assert items == {("log:RuntimeError", "logged-errors"), (f"check:{LOGOUT}", "known")}  # logout: uvicorn's own
    [server] = result["servers"]
    run = [f for f in server["log_findings"] if f["phase"] == "run"]
    assert [(f["exception"], f["last_line"]) for f in run] == [
        ("RuntimeError", "RuntimeError: broken on purpose: raised on websocket.disconnect")
    ]
    assert run[0]["count"] >= 3  # each socket the scenarios closed
    assert "server logged" in result["reason"] and "RuntimeError" in result["reason"]
