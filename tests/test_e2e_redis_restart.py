"""The Redis restart check (issue 12, deep) end to end: a real restart under a daphne
server on the redis layer, and a layer that swallows the lost connection."""

from __future__ import annotations

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV, check_named, unexpected_items

# The heavy checks alone: no 65 s / 300 s idle check, no dead peer, no 6 s idle check.
HEAVY_ONLY = ("--server", "daphne+redis", "--deep", "--long-idle", "0", "--idle", "0", "--heavy", "Redis restart")


def test_daphne_on_the_redis_layer_closes_the_sockets_and_delivers_to_reconnected_ones(run_harness) -> None:
    code, result, output = run_harness(CHANNELS_E2E_ENV, *HEAVY_ONLY, "--heavy", "slow reader")
    assert (code, result["status"], result["as_expected"]) == (0, "known", True), output
    check = check_named(result, "Redis restart")
    assert check["ok"] and check["value"].startswith("resumed ") and "(closed 3, reconnected)" in check["value"], check
    assert "admin, john, mary: closed by server: 1011 internal error" in check["detail"], check
    assert "then a broadcast, a private and a group message each arrived once" in check["detail"], check
    # The same run's slow-reader check (issue 12): daphne buffers for the unread socket.
    [slow] = [c for c in result["checks"] if c["name"] == "slow reader"]
    assert slow["ok"] and "slow client got all 250 once it read again (all buffered)" in slow["detail"], slow


def test_a_layer_that_swallows_a_lost_connection_is_silently_deaf(run_harness) -> None:
    settings = ("--pythonpath", str(BROKEN_SERVERS), "--settings", "channels_swallowing_layer_settings")
    code, result, output = run_harness(CHANNELS_E2E_ENV, *HEAVY_ONLY, *settings)
    assert (code, result["status"]) == (1, "fail"), output
    assert unexpected_items(result) == [("check:Redis restart", "fail")]  # deep: not re-run
    check = check_named(result, "Redis restart")
    assert (check["ok"], check["value"]) == (False, "silently deaf"), check
    assert "every socket stayed open and nothing was delivered for 10 s after Redis answered again" in check["detail"]
