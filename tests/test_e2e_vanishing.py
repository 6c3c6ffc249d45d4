"""The vanishing clients check (issue 12, deep) end to end: daphne on the in-memory
layer gives everything back, and a consumer that leaks a file descriptor per
connection fails exactly that check."""

from __future__ import annotations

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV, check_named, unexpected_items

# The heavy checks alone: no 65 s / 300 s idle check, no dead peer, no 6 s idle check.
HEAVY_ONLY = (
    *("--server", "daphne+inmemory", "--deep", "--heavy", "vanishing clients"),
    *("--long-idle", "0", "--idle", "0"),
)
UPGRADED = "200/200 clients upgraded (waves of 50, "
WAVES = " s) and dropped TCP without a close frame (100 FIN, 100 RST): fds "


def test_daphne_gives_back_what_vanished_clients_took(run_harness) -> None:
    code, result, output = run_harness(CHANNELS_E2E_ENV, *HEAVY_ONLY)
    assert (code, result["status"], result["as_expected"]) == (0, "known", True), output
    check = check_named(result, "vanishing clients")
    assert check["ok"] and check["value"].startswith("fds ") and " MiB, back in " in check["value"], check
    assert UPGRADED in check["detail"] and WAVES in check["detail"], check
    assert check["detail"].count("back in ") == 2, check  # after the 200, and after the 50 stalled
    assert "the server still serves (a new client and a broadcast)" in check["detail"], check


def test_a_consumer_that_leaks_a_descriptor_per_connection_fails_only_vanishing_clients(run_harness) -> None:
    settings = ("--pythonpath", str(BROKEN_SERVERS), "--settings", "channels_fd_leak_settings")
    code, result, output = run_harness(CHANNELS_E2E_ENV, *HEAVY_ONLY, *settings)
    assert (code, result["status"]) == (1, "fail"), output
    assert unexpected_items(result) == [("check:vanishing clients", "fail")]  # deep: not re-run
    check = check_named(result, "vanishing clients")
    assert not check["ok"] and check["value"].endswith(" MiB, not back in 10 s")
    assert UPGRADED in check["detail"] and WAVES in check["detail"], check
    assert "; fds not back near the baseline within 10 s of the 200 vanishing; took " in check["detail"], check
    assert "memory not back" not in check["detail"] and "while 50 handshakes stalled" not in check["detail"], check
