"""Open-loop sending: schedule slots, catch-up, unsent slots, offered vs achieved,
latency from the scheduled and from the actual send; the generator's headroom."""

from __future__ import annotations

import random

import pytest

from harness.load.ceiling import headroom
from harness.load.schedule import Schedule, behind
from harness.load.stats import schedule_figures, summarize
from harness.load.tracker import DELIVER, Tracker


def test_slots_are_fixed_whatever_the_send_took() -> None:
    schedule = Schedule(rate=4.0, start=100.0, phase=0.1)
    assert schedule.wait(100.0) == pytest.approx(0.1)
    assert schedule.take() == pytest.approx(100.1)
    # The send took 0.6 s (a slow publish): the next slots are already due, sent at once.
    assert schedule.wait(100.7) == 0.0
    assert schedule.take() == pytest.approx(100.35)
    assert schedule.take() == pytest.approx(100.6)
    assert schedule.wait(100.7) == pytest.approx(0.15)
    assert schedule.due(100.7) == 3 and schedule.backlog(100.7) == 0


def test_slots_due_and_never_sent_are_counted_once() -> None:
    schedule = Schedule(rate=2.0, start=0.0)
    schedule.take()
    assert schedule.due(2.0) == 5  # slots at 0, 0.5, 1, 1.5, 2
    # The slots at 0.5, 1 and 1.5 were missed; the one at 2.0 only just came due.
    assert schedule.stop(2.2) == 3
    assert schedule.skipped == 3
    assert schedule.stop(3.0) == 0 and schedule.backlog(9.0) == 0
    punctual = Schedule(rate=1.0, start=0.0)
    punctual.take()
    assert punctual.stop(1.5) == 0  # its second slot is 0.5 s overdue: less than a period


def test_users_are_spread_over_one_period() -> None:
    phases = {round(Schedule.starting(2.0, 0.0, random.Random(seed)).phase, 3) for seed in range(20)}
    assert len(phases) > 10 and all(0 <= p < 0.5 for p in phases)
    with pytest.raises(ValueError):
        Schedule(rate=0.0, start=0.0)


def test_behind_below_95_percent_of_offered() -> None:
    assert behind(100, 94) and not behind(100, 95) and not behind(0, 0)


def test_latency_counts_from_the_scheduled_time_and_from_the_send() -> None:
    tracker = Tracker("proc", loss_timeout=5.0)
    tracker.join(1, "load0001", {"g"}, now=0.0)
    # Scheduled at 10.0, really sent at 10.5 (the generator or publish path was late).
    message = tracker.expect("user", "load0001", now=10.5, scheduled_at=10.0)
    outcome = tracker.received(1, message.encode(64), now=10.52)
    assert outcome is not None and outcome.request_type == DELIVER
    assert outcome.ms == pytest.approx(520.0, abs=0.01)
    assert outcome.ms_from_send == pytest.approx(20.0, abs=0.01)
    # Loss is counted from the real send: the server is not blamed for the generator's lag.
    late = tracker.expect("user", "load0001", now=20.0, scheduled_at=14.0)
    assert tracker.sweep(now=24.9) == [] and late.msg_id in tracker.pending


def _entry(method: str, name: str, requests: int, content: int = 0, times: dict | None = None) -> dict:
    return {
        "method": method,
        "name": name,
        "num_requests": requests,
        "num_failures": 0,
        "total_content_length": content,
        "start_time": 100.0,
        "last_request_timestamp": 110.0,
        "response_times": times or {},
    }


def test_offered_against_achieved_and_the_behind_flag() -> None:
    sends = [_entry("send", "channels user", 90)]
    assert schedule_figures({"send": sends, "unsent": [_entry("unsent", "channels schedule", 2, 10)]}) == {
        "offered_sends": 100,
        "achieved_sends": 90,
        "unsent": 10,
        "offered_per_s": 10.0,
        "achieved_per_s": 9.0,
        "achieved_pct": 90.0,
        "fell_behind": True,
        "note": "generator or publish path fell behind (sent < 95% of offered)",
    }
    kept_up = schedule_figures({"send": sends, "unsent": [_entry("unsent", "channels schedule", 1, 1)]})
    assert not kept_up["fell_behind"] and kept_up["note"] == ""


def test_summary_reports_both_latencies() -> None:
    entries = [
        _entry("send", "channels user", 10),
        _entry("deliver", "channels user", 10, 640, {"500": 10}),
        _entry("deliver-from-send", "channels user", 10, 640, {"20": 10}),
    ]
    summary = summarize(entries)
    assert summary["totals"]["p99"] == 500 and summary["totals"]["from_send"]["p99"] == 20
    assert summary["kinds"][0]["from_send"]["p50"] == 20
    assert summary["schedule"]["achieved_pct"] == 100.0


def test_headroom_against_the_measured_ceiling() -> None:
    assert not headroom(1000.0, 0, None)["measured"]
    ceiling = {"per_core": 9000.0, "host": "elsewhere", "measured_at": "today"}
    room = headroom(1000.0, 2, ceiling)
    assert room["sustainable_per_s"] == 18000.0 and room["ratio"] == 18.0 and not room["same_host"]
    assert "not this machine" in room["note"]
    assert "below 3×" in headroom(5000.0, 0, ceiling)["note"]
