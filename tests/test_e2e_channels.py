"""Real end-to-end runs of the Channels stack, and broken Channels servers that
must turn exactly the affected cells and checks ✗."""

from __future__ import annotations

import pytest

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV

pytestmark = pytest.mark.e2e

ROOM_CHECKS = {"room join notice", "room messages reach members only", "room leave notice", "staff-only room"}
ALL_CHECKS = ROOM_CHECKS | {"anonymous socket refused", "non-ASCII broadcast intact"}


def _cells(result: dict, ok: bool) -> set[tuple[str, str, str, str, str]]:
    return {
        (c["server"], c["path"], c["kind"], c["sender"], c["target"]) for c in result["deliveries"] if c["ok"] is ok
    }


def _failed_checks(result: dict) -> set[str]:
    return {c["name"] for c in result["checks"] if not c["ok"]}


def _broken(settings: str, mode: str, run_harness, **extra_env: str) -> tuple[int, dict, str]:
    return run_harness(
        CHANNELS_E2E_ENV,
        "--server",
        mode,
        "--pythonpath",
        str(BROKEN_SERVERS),
        "--settings",
        settings,
        extra_env=extra_env,
    )


def test_channels4_passes_every_cell_on_daphne_and_uvicorn_with_redis(run_harness) -> None:
    code, result, output = run_harness(CHANNELS_E2E_ENV, "--server", "daphne+redis", "--server", "uvicorn+redis")
    assert (code, result["status"]) == (0, "pass"), output
    assert [s["name"] for s in result["servers"]] == ["daphne+redis", "uvicorn+redis"]
    assert len(result["deliveries"]) == 2 * 30
    assert {c["path"] for c in result["deliveries"]} == {"socket", "http"}
    assert all(c["ok"] and c["latency_ms"] is not None for c in result["deliveries"])
    assert {c["name"] for c in result["checks"]} == ALL_CHECKS
    assert not _failed_checks(result)
    assert result["stack"]["packages"]["channels"].startswith("4.")


def test_layer_delivering_to_every_group_fails_user_and_group_cells(run_harness) -> None:
    code, result, output = _broken("channels_leaky_layer_settings", "daphne+inmemory", run_harness)
    assert code == 1 and result["status"] == "fail", output
    bad = _cells(result, ok=False)
    assert {kind for _, _, kind, _, _ in bad} == {"user", "group"}
    assert len(bad) == 2 * (9 + 3)  # every user and group cell, on both publish paths
    assert {kind for _, _, kind, _, _ in _cells(result, ok=True)} == {"broadcast"}
    # The leak reaches rooms too: admin hears the lobby.
    assert "room messages reach members only" in _failed_checks(result)


def test_consumer_that_never_sends_fails_every_cell(run_harness) -> None:
    # Nothing ever arrives, so every wait runs to its end: shorten them.
    code, result, output = _broken(
        "channels_mute_settings", "daphne+redis", run_harness, HARNESS_DELIVERY_TIMEOUT="0.5"
    )
    assert code == 1 and result["status"] == "fail", output
    assert len(result["deliveries"]) == 30
    assert not _cells(result, ok=True)
    for cell in result["deliveries"]:
        assert "did not receive it" in cell["detail"] and cell["received"] == []
    # The anonymous refusal does not need the consumer to send; everything else does.
    assert _failed_checks(result) == ALL_CHECKS - {"anonymous socket refused"}


def test_staff_room_admitting_john_fails_only_that_check(run_harness) -> None:
    code, result, output = _broken("channels_lax_staff_settings", "daphne+redis", run_harness)
    assert code == 1 and result["status"] == "fail", output
    assert all(c["ok"] for c in result["deliveries"]) and len(result["deliveries"]) == 30
    assert _failed_checks(result) == {"staff-only room"}
    detail = next(c["detail"] for c in result["checks"] if c["name"] == "staff-only room")
    assert "john (not staff) was admitted" in detail and "mary (not staff) was admitted" in detail
    assert "admin (staff) was not admitted" not in detail
