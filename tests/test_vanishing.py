"""The vanishing clients check's rules (harness/run/vanishing.py): what "near the
baseline" means, the requests it sends, and how it words a verdict."""

from __future__ import annotations

from harness.run.vanishing import (
    Observed,
    Reading,
    Recovery,
    fds_near,
    judge,
    partial_request,
    rss_near,
    upgrade_request,
)

MIB = 2**20
BASE = Reading(80 * MIB, 24, to_redis=4)


def test_other_fds_may_grow_by_25_and_connections_to_redis_by_a_wave() -> None:
    assert fds_near(BASE, Reading(80 * MIB, 24 + 25, to_redis=4))
    assert not fds_near(BASE, Reading(80 * MIB, 24 + 26, to_redis=4))
    assert fds_near(BASE, Reading(80 * MIB, 24 + 50, to_redis=4 + 50))  # a pool grown to 50 simultaneous clients
    assert not fds_near(BASE, Reading(80 * MIB, 24 + 51, to_redis=4 + 51))


def test_memory_within_16_mib_or_half_of_the_peak_growth_given_back() -> None:
    assert rss_near(BASE, Reading(200 * MIB, 0), Reading(96 * MIB, 0))
    assert rss_near(BASE, Reading(200 * MIB, 0), Reading(140 * MIB, 0))
    assert not rss_near(BASE, Reading(200 * MIB, 0), Reading(141 * MIB, 0))


def test_the_stalled_request_is_cut_after_its_host_header() -> None:
    full = upgrade_request("http://127.0.0.1:8000", "/ws/chat/?session=x", "sessionid=abc")
    assert b"Origin: http://127.0.0.1:8000\r\nCookie: sessionid=abc\r\n\r\n" in full
    assert partial_request(full) == b"GET /ws/chat/?session=x HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"


def test_a_leak_fails_with_the_observed_values() -> None:
    seen = Observed(upgraded=200, fins=100, rsts=100, peak=Reading(90 * MIB, 300, to_redis=4))
    after = Reading(85 * MIB, 224, to_redis=4)
    found = judge(BASE, seen, Recovery(after, None, after, None, 1.0), "", "", 14.2)
    assert not found.ok
    assert found.value == "fds 24→300→224, 80→90→85 MiB, not back in 10 s"
    assert "fds 24 → 300 → 224 (to Redis 4 → 4 → 4), RSS 80.0 → 90.0 → 85.0 MiB, not back within 10 s" in found.detail
    assert "after the stalled ones 224 fds (4 to Redis), 85.0 MiB, not back within 1 s" in found.detail
    assert found.detail.endswith("; fds not back near the baseline within 10 s of the 200 vanishing; took 14.2 s")


def test_a_server_starved_by_stalled_handshakes_fails() -> None:
    seen = Observed(upgraded=200, fins=100, rsts=100, peak=Reading(90 * MIB, 80), stalled_closed=[0.5, 0.6])
    back = Recovery(BASE, 0.2, BASE, 0.4)
    found = judge(BASE, seen, back, "a new client's handshake failed: WebSocketTimeoutException", "", 6.0)
    assert not found.ok
    assert found.value == "fds 24→80→24, 80→90→80 MiB, back in 0.2 s"
    assert "; server dropped 2/50 stalled handshakes (first after 0.5 s);" in found.detail
    assert "; while 50 handshakes stalled: a new client's handshake failed: WebSocketTimeoutException;" in found.detail
