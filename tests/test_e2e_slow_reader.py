"""The slow-reader check (issue 12, deep) end to end: a channel layer that waits for
room in a full channel instead of dropping makes one unread socket stall the whole
chat (head-of-line blocking); only this heavy check runs (``--heavy``).  The healthy
side (daphne on the redis layer buffers for the slow socket, the others unaffected) is
asserted in test_e2e_redis_restart.py, on the run it already makes."""

from __future__ import annotations

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV

# uvicorn: a send to a full socket waits (websockets' drain), so the consumer blocks.
HEAVY_ONLY = ("--server", "uvicorn+inmemory", "--deep", "--heavy", "slow reader", "--long-idle", "0", "--idle", "0")


def test_a_layer_that_waits_for_a_full_channel_stalls_everybody(run_harness) -> None:
    settings = ("--pythonpath", str(BROKEN_SERVERS), "--settings", "channels_backpressure_layer_settings")
    code, result, output = run_harness(CHANNELS_E2E_ENV, *HEAVY_ONLY, *settings)
    assert (code, result["status"]) == (1, "fail"), output
    [mode] = result["modes"]
    unexpected = [(i["item"], i["outcome"]) for i in mode["items"] if i["outcome"] != "known"]
    # deep: not re-run
    assert unexpected == [("check:slow reader", "fail")], unexpected
    assert not [c for c in result["checks"] if c["name"] in ("vanishing clients", "Redis restart")]  # not picked
    [check] = [c for c in result["checks"] if c["name"] == "slow reader"]
    assert not check["ok"] and check["value"].startswith("p99 ∞/"), check  # "p99 ∞/52 ms · 121/250 in 4 s · ..."
    assert "with the slow reader p99 ∞ (lost), " in check["detail"], check
    assert "copies never arrived (" in check["detail"] and "2x max(baseline, floor))" in check["detail"], check
