"""Broken servers that must turn exactly their security and robustness checks ✗
(issue 12): each check is shown able to fail, each by its own fault."""

from __future__ import annotations

import pytest

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV, E2E_ENV

pytestmark = pytest.mark.e2e

LOGOUT = "logout ends delivery"
SECURITY_CHECKS = {"foreign Origin refused", "no eavesdropping", "no impersonation", LOGOUT}
JSON_CHECKS = {"invalid JSON", "unknown command", "wrong JSON types"}  # Channels' chat server reads JSON
ROBUSTNESS_CHECKS = {
    "message size limit",
    "binary frame",
    "invalid UTF-8 closes 1007",
    "ping answered",
    "fragmented message reassembled",
    "plain GET to a socket URL",
}
# Known upstream behaviours (expectations.toml), failing on the real servers too.
WS4REDIS_RUNSERVER_KNOWN = {"foreign Origin refused", LOGOUT, "message size limit"}
WS4REDIS_UWSGI_KNOWN = WS4REDIS_RUNSERVER_KNOWN | {"invalid UTF-8 closes 1007", "fragmented message reassembled"}
DAPHNE_KNOWN = {LOGOUT, "message size limit", "invalid UTF-8 closes 1007"}
UVICORN_KNOWN = {LOGOUT}
# ws4redis's dev server sometimes loses a fragmented message (expectations.toml, flaky,
# cause not established): where it struck, the check is known, and no other test's set.
FRAGMENT_FLAKE = "ws4redis-runserver-fragment-lost"


def flaked(result: dict) -> set[tuple[str, str]]:
    """(mode, check name) where that documented flake struck in this run."""
    return {
        (mode["name"], item["item"].removeprefix("check:"))
        for mode in result["modes"]
        for item in mode["items"]
        if item["expectation"] == FRAGMENT_FLAKE
    }


def _failed(result: dict) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in result["checks"] if not c["ok"]}


def _run(run_harness, env: str, settings: str, mode: str) -> tuple[int, dict, str]:
    broken = ("--pythonpath", str(BROKEN_SERVERS), "--settings", settings)
    return run_harness(env, "--server", mode, "--reruns", "0", *broken)


def test_channels_server_with_one_fault_per_check_fails_exactly_those(run_harness) -> None:
    """uvicorn passes every security and robustness check but logout (known): each
    fault of channels_insecure_settings must show in its own check, and nowhere else."""
    code, result, output = _run(run_harness, CHANNELS_E2E_ENV, "channels_insecure_settings", "uvicorn+inmemory")
    assert (code, result["status"]) == (1, "fail"), output
    assert all(c["ok"] for c in result["deliveries"]) and len(result["deliveries"]) == 30, output
    failed = _failed(result)
    assert set(failed) == {
        "foreign Origin refused",
        "no impersonation",
        "no eavesdropping",
        "invalid JSON",
        "unknown command",
        "wrong JSON types",
        "binary frame",
        "message size limit",
        "plain GET to a socket URL",
        LOGOUT,
    }, failed
    assert "Origin http://evil.example: accepted" in failed["foreign Origin refused"]
    assert "named as sent by ['admin']" in failed["no impersonation"]
    assert "john's socket got 1 of mary's private message(s)" in failed["no eavesdropping"]
    assert "expected answered BAD_COMMAND" in failed["unknown command"]
    assert "unhealthy" in failed["binary frame"] and "unhealthy" in failed["invalid JSON"]
    assert "expected answered BAD_COMMAND to each of 2" in failed["wrong JSON types"]
    assert "search stopped by time" in failed["message size limit"]
    assert "500" in failed["plain GET to a socket URL"]
    values = {c["name"]: c["value"] for c in result["checks"] if c.get("family") in ("security", "robustness")}
    assert values["no eavesdropping"] == "1 leaked" and values["plain GET to a socket URL"] == "404, 500"
    [mode] = result["modes"]
    unexpected = {i["item"] for i in mode["items"] if i["outcome"] == "fail" and not i.get("expectation")}
    assert unexpected == {f"check:{name}" for name in failed if name != LOGOUT}


def test_ws4redis_server_trusting_the_query_fails_eavesdropping_and_impersonation(run_harness) -> None:
    code, result, output = _run(run_harness, E2E_ENV, "ws4redis_trusting_settings", "uwsgi")
    assert (code, result["status"]) == (1, "fail"), output
    assert all(c["ok"] for c in result["deliveries"]), output
    failed = _failed(result)
    assert set(failed) == WS4REDIS_UWSGI_KNOWN | {"no eavesdropping", "no impersonation"}, failed
    assert "john's socket got 1 of mary's private message(s)" in failed["no eavesdropping"]
    assert "mary got john's text through a private channel" in failed["no impersonation"]
