"""The slow-reader check's parts that need no chat server: the traffic's sizes, the
p99, the verdict, what the slow client's fate reads like, and the loopback buffers."""

from __future__ import annotations

import math
import socket
import time

from harness.run.robustness import KIB, MIB
from harness.run.slow_reader import BASELINE_FLOOR_MS, Watcher, Window, bulk_sizes, judge
from harness.run.slow_socket import Drained
from harness.sut.loopback import connection_queues, loopback_capacity
from harness.sut.usage import Usage


def test_the_big_messages_carry_one_and_a_half_times_the_buffers() -> None:
    bulk = bulk_sizes(2990080)  # measured here: 2.85 MiB
    assert (bulk[0], len(bulk)) == (88 * KIB, 50) and sum(bulk) >= 1.5 * 2990080


def test_sizes_stay_within_bounds_for_tiny_and_huge_buffers() -> None:
    assert bulk_sizes(100 * KIB) == [64 * KIB] * 3
    assert bulk_sizes(64 * MIB) == [512 * KIB] * 50  # at most 50 (5 s), at most 512 KiB


def _window(latencies: list[float], stuck: str = "") -> Window:
    return Window("w", sent=len(latencies) // 3, bulk_sent=50, stuck=stuck, latencies_ms=latencies)


def test_p99_counts_a_lost_copy_as_infinite() -> None:
    assert _window([float(i) for i in range(1, 101)]).p99() == 99.0
    lost = _window([10.0] * 98 + [math.inf] * 2)
    lost.lost = ["john #3", "mary #7"]
    assert math.isinf(lost.p99()) and lost.text() == "p99 ∞ (lost), 2 of 100 copies never arrived (john #3, mary #7)"


def _judge(base_ms: float, slow_ms: float, growth: int, stuck: str = "") -> tuple[bool, str, str]:
    watcher = Watcher(lambda: Usage(0, 0), slow=None)  # type: ignore[arg-type]
    watcher.peak_rss = 100 * MIB + growth
    drained = Drained(got=250, duplicates=0, closed=None, seconds=0.3, bounded=False)
    found = judge(
        int(2.9 * MIB),
        bulk_sizes(int(2.9 * MIB)),
        _window([base_ms] * 150),
        _window([slow_ms] * 600, stuck),
        Usage(100 * MIB, 10),
        watcher,
        drained,
        True,
        "healthy",
    )
    return found.ok, found.value, found.detail


def test_the_verdict_allows_twice_the_baseline_or_twice_the_floor() -> None:
    assert _judge(400.0, 1990.0, 0)[0]  # under the floor: 2 x 1000 ms
    assert not _judge(400.0, 2010.0, 0)[0]
    assert _judge(1500.0, 2990.0, 0)[0] and not _judge(1500.0, 3010.0, 0)[0]
    assert BASELINE_FLOOR_MS == 1000.0


def test_the_verdict_fails_on_memory_and_on_a_stuck_sender() -> None:
    ok, value, detail = _judge(100.0, 100.0, 60 * MIB)
    assert not ok and value == "p99 100/100 ms · all 250 · RSS +60.0 MiB" and "limit 50 MiB" in detail
    ok, _, detail = _judge(100.0, 100.0, 0, stuck="john's send was stuck")
    assert not ok and "john's send was stuck" in detail


def test_the_slow_clients_fate() -> None:
    assert Drained(200, 0, None, 0.2, False).fate(200, None) == "got all 200 once it read again (all buffered)"
    held = Drained(200, 0, None, 0.9, False, held=24).fate(200, None)
    assert held == "got all 200 once it read again (all buffered, 24 only after one more broadcast)"
    assert Drained(167, 0, None, 0.6, False).fate(200, None) == "got 167 of 200 once it read again (33 dropped)"
    closed = Drained(40, 0, "closed by server: 1011 internal error", 0.1, False).fate(200, 3.54)
    assert closed == "closed 1011 internal error 3.5 s into the window (got 40 of 200 first)"
    slow = Drained(122, 0, None, 4.0, True).fate(200, None)
    assert slow == "got 122 of 200 in 4 s of reading (still coming: not counted as dropped)"


def test_the_slow_clients_fate_in_a_report_cell() -> None:
    assert Drained(250, 0, None, 0.2, False, held=24).short(250, None) == "all 250, 24 late"
    assert Drained(217, 0, None, 0.6, False).short(250, None) == "217/250 (33 lost)"
    assert (
        Drained(40, 0, "closed by server: 1011 internal error", 0.1, False).short(250, 3.54) == "closed 1011 at 3.5 s"
    )
    assert Drained(40, 0, "connection lost: reset", 0.1, False).short(250, None) == "dropped on reading"
    assert Drained(122, 0, None, 4.0, True).short(250, None) == "122/250 in 4 s"


def test_loopback_capacity_is_the_writers_buffer_plus_the_readers_small_one() -> None:
    began = time.monotonic()
    capacity = loopback_capacity()
    assert 64 * KIB < capacity < 64 * MIB and time.monotonic() - began < 3.0


def test_connection_queues_see_both_ends() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        with socket.socket() as client:
            client.connect(listener.getsockname())
            server, _ = listener.accept()
            with server:
                server.sendall(b"x" * 1000)
                time.sleep(0.05)
                queues = connection_queues(client.getsockname(), listener.getsockname())
    assert (queues.state, queues.client_unread) == ("ESTABLISHED", 1000)
