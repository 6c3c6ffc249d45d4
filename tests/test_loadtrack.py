"""Delivery accounting of load runs: expected recipients, latency, loss, duplicates, leaks."""

from __future__ import annotations

import random

import pytest

from harness.load.tracker import DELIVER, DUPLICATE, LATE, LEAK, LOST, LoadMessage, Outcome, Tracker


def _kind_of(outcome: Outcome | None) -> str:
    assert outcome is not None, "the tracker reported nothing"
    return outcome.request_type


@pytest.fixture
def tracker() -> Tracker:
    t = Tracker("proc", loss_timeout=5.0, rng=random.Random(1))
    t.join(1, "load0001", {"loadgroup01"}, now=100.0)
    t.join(2, "load0002", {"loadgroup02"}, now=100.0)
    t.join(3, "load0003", {"loadgroup01"}, now=100.0)
    return t


def test_message_round_trip_carries_kind_id_and_send_time() -> None:
    text = LoadMessage("group", "proc.7", 123.456789).encode(64)
    assert len(text) == 64
    assert LoadMessage.decode(text) == LoadMessage("group", "proc.7", 123.456789)
    assert LoadMessage.decode("--heartbeat--") is None
    assert LoadMessage.decode("L|nokind|x|1") is None


def test_audience_per_kind(tracker: Tracker) -> None:
    assert tracker.audience("broadcast", "everybody") == {1, 2, 3}
    assert tracker.audience("user", "load0002") == {2}
    assert tracker.audience("group", "loadgroup01") == {1, 3}
    assert tracker.choose_target("user", "load0001") in ("load0002", "load0003")
    assert tracker.choose_target("group", "load0001") in ("loadgroup01", "loadgroup02")


def test_each_expected_receipt_is_a_delivery_with_its_latency(tracker: Tracker) -> None:
    message = tracker.expect("group", "loadgroup01", now=200.0)
    text = message.encode(50)
    first = tracker.received(1, text, now=200.012)
    assert first is not None and first.request_type == DELIVER and first.kind == "group"
    assert first.ms == pytest.approx(12.0, abs=0.01)
    assert tracker.awaited() == 1
    assert _kind_of(tracker.received(3, text, now=200.020)) == DELIVER
    assert tracker.awaited() == 0
    assert tracker.sweep(now=300.0) == []


def test_a_second_copy_is_a_duplicate(tracker: Tracker) -> None:
    text = tracker.expect("user", "load0002", now=200.0).encode(40)
    assert _kind_of(tracker.received(2, text, now=200.01)) == DELIVER
    again = tracker.received(2, text, now=200.02)
    assert again is not None and again.request_type == DUPLICATE and again.error


def test_a_missing_delivery_is_lost_after_the_timeout_and_late_if_it_comes(tracker: Tracker) -> None:
    text = tracker.expect("broadcast", "everybody", now=200.0).encode(40)
    tracker.received(1, text, now=200.1)
    tracker.received(2, text, now=200.1)
    assert tracker.sweep(now=204.9) == []
    lost = tracker.sweep(now=205.0)
    assert [(o.request_type, o.kind) for o in lost] == [(LOST, "broadcast")]
    assert _kind_of(tracker.received(3, text, now=206.0)) == LATE
    tracker.sweep(now=211.0)
    assert tracker.pending == {}


def test_a_private_message_seen_by_someone_else_is_a_leak(tracker: Tracker) -> None:
    text = tracker.expect("user", "load0002", now=200.0).encode(40)
    leak = tracker.received(1, text, now=200.01)
    assert leak is not None
    assert leak.request_type == LEAK
    other_session = LoadMessage("user", "elsewhere.1", 200.0).encode(40)
    assert _kind_of(tracker.received(1, other_session, now=200.01)) == LEAK


def test_a_client_subscribed_after_the_send_may_get_a_broadcast(tracker: Tracker) -> None:
    text = tracker.expect("broadcast", "everybody", now=200.0).encode(40)
    tracker.join(4, "load0004", {"loadgroup02"}, now=200.5)
    assert tracker.received(4, text, now=200.6) is None


def test_leaving_forgets_what_a_client_awaited_unless_its_connection_broke(tracker: Tracker) -> None:
    text = tracker.expect("broadcast", "everybody", now=200.0).encode(40)
    assert tracker.leave(1, now=200.1) == []
    broken = tracker.leave(2, now=200.1, broken=True)
    assert [o.request_type for o in broken] == [LOST]
    assert _kind_of(tracker.received(3, text, now=200.2)) == DELIVER
    assert tracker.sweep(now=210.0) == []


def test_a_cancelled_send_is_never_lost(tracker: Tracker) -> None:
    message = tracker.expect("user", "load0003", now=200.0)
    tracker.cancel(message)
    assert tracker.sweep(now=300.0) == []
