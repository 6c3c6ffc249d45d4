"""Figures of one load run, read from what Locust wrote (its stats JSON and
its per-second stats history CSV): deliveries/s, latency percentiles, loss and
errors per message kind, and their course over time.

Percentiles come from Locust's latency histograms (rounded values and their
counts), which merge exactly across workers.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from harness.errors import LoadError
from harness.load.schedule import BEHIND_FRACTION, BEHIND_TEXT, behind
from harness.load.tracker import DELIVER, DELIVER_FROM_SEND, DUPLICATE, LATE, LEAK, LOST, UNKNOWN, UNSENT
from harness.stacks.base import KINDS

PERCENTILES = (0.50, 0.95, 0.99)
MISDELIVERED = (DUPLICATE, LATE, LEAK, UNKNOWN)
CLIENT_STEPS = ("login", "connect", "subscribe")
OTHER_ERRORS = ("send", "disconnect", "setup")


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """The smallest latency below which ``fraction`` of the samples lie (Locust's definition)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = total - int(fraction * total)
    processed = 0
    for value in sorted(histogram, reverse=True):
        processed += histogram[value]
        if total - processed <= total - wanted:
            return float(value)
    return float(min(histogram))


def merged_histogram(entries: Iterable[Mapping[str, Any]]) -> Counter[int]:
    merged: Counter[int] = Counter()
    for entry in entries:
        for value, count in (entry.get("response_times") or {}).items():
            merged[round(float(value))] += int(count)
    return merged


def read_entries(stats_json: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(stats_json.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoadError(f"Locust wrote no readable stats ({stats_json.name}: {exc})") from exc
    if not isinstance(data, list):
        raise LoadError(f"{stats_json.name}: expected a list of stats entries")
    return data


def _kind_of(entry: Mapping[str, Any]) -> str:
    return str(entry["name"]).rsplit(" ", 1)[-1]


def _latency(hist: Mapping[int, int]) -> dict[str, float | None]:
    return {f"p{round(p * 100)}": percentile(hist, p) for p in PERCENTILES}


def _span(entries: list[dict[str, Any]]) -> float:
    starts = [e["start_time"] for e in entries if e.get("start_time")]
    ends = [e["last_request_timestamp"] for e in entries if e.get("last_request_timestamp")]
    return max(ends) - min(starts) if starts and ends and max(ends) > min(starts) else 0.0


def schedule_figures(by_type: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Offered (every schedule slot that came due) against achieved (every send made)."""
    sends = by_type.get("send", [])
    sent = sum(int(e["num_requests"]) for e in sends)
    unsent = sum(int(e.get("total_content_length") or 0) for e in by_type.get(UNSENT, []))
    offered = sent + unsent
    seconds = _span(sends)
    fell_behind = behind(offered, sent)
    return {
        "offered_sends": offered,
        "achieved_sends": sent,
        "unsent": unsent,
        "offered_per_s": round(offered / seconds, 1) if seconds else 0.0,
        "achieved_per_s": round(sent / seconds, 1) if seconds else 0.0,
        "achieved_pct": round(100.0 * sent / offered, 1) if offered else 0.0,
        "fell_behind": fell_behind,
        "note": f"{BEHIND_TEXT} (sent < {BEHIND_FRACTION:.0%} of offered)" if fell_behind else "",
    }


def summarize(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-kind and total figures of one run."""
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_type.setdefault(str(entry["method"]), []).append(entry)
    delivered = by_type.get(DELIVER, [])
    from_send = by_type.get(DELIVER_FROM_SEND, [])
    duration = _span(delivered)

    def count(request_type: str, kind: str | None = None) -> int:
        return sum(int(e["num_requests"]) for e in by_type.get(request_type, []) if kind is None or _kind_of(e) == kind)

    kinds = []
    for kind in KINDS:
        mine = [e for e in delivered if _kind_of(e) == kind]
        deliveries, lost = count(DELIVER, kind), count(LOST, kind)
        if not (deliveries or lost or count("send", kind)):
            continue
        kinds.append(
            {
                "kind": kind,
                "sent": count("send", kind),
                "deliveries": deliveries,
                "deliveries_per_s": round(deliveries / duration, 1) if duration else 0.0,
                **_latency(merged_histogram(mine)),
                "from_send": _latency(merged_histogram(e for e in from_send if _kind_of(e) == kind)),
                "lost": lost,
                "loss_pct": round(100.0 * lost / (deliveries + lost), 2) if deliveries + lost else 0.0,
                "misdelivered": sum(count(t, kind) for t in MISDELIVERED),
            }
        )
    deliveries, lost = count(DELIVER), count(LOST)
    errors = {t: count(t) for t in (*MISDELIVERED, *OTHER_ERRORS)}
    for step in CLIENT_STEPS:
        errors[step] = sum(int(e["num_failures"]) for e in by_type.get(step, []))
    errors["send"] = sum(int(e["num_failures"]) for e in by_type.get("send", []))
    clients = {
        step: {
            "count": count(step),
            "failures": errors[step],
            **_latency(merged_histogram(by_type.get(step, []))),
        }
        for step in CLIENT_STEPS
    }
    totals = {
        "deliveries": deliveries,
        "deliveries_per_s": round(deliveries / duration, 1) if duration else 0.0,
        **_latency(merged_histogram(delivered)),
        "from_send": _latency(merged_histogram(from_send)),
        "lost": lost,
        "loss_pct": round(100.0 * lost / (deliveries + lost), 2) if deliveries + lost else 0.0,
        "errors": sum(errors.values()),
    }
    return {
        "duration_s": round(duration, 1),
        "totals": totals,
        "kinds": kinds,
        "clients": clients,
        "errors": errors,
        "schedule": schedule_figures(by_type),
    }


def _number(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def timeline(entries: list[dict[str, Any]], history_csv: Path) -> list[dict[str, Any]]:
    """Per second: users, deliveries per kind and in total, and each kind's current p50/p95/p99.

    Deliveries per second are exact (Locust's per-second counts in its JSON);
    users and the percentiles (over Locust's 10 s window) come from its
    per-second history CSV.
    """
    try:
        rows = list(csv.DictReader(history_csv.open(encoding="utf-8", newline="")))
    except OSError:
        rows = []
    users: dict[int, int] = {}
    latency: dict[tuple[int, str], dict[str, float | None]] = {}
    for row in rows:
        stamp = int(float(row["Timestamp"]))
        users[stamp] = int(row["User Count"])
        if row.get("Type") == DELIVER:
            latency[(stamp, _kind_of({"name": row["Name"]}))] = {
                pct: _number(row.get(column, "")) for pct, column in (("p50", "50%"), ("p95", "95%"), ("p99", "99%"))
            }
    counts: dict[tuple[int, str], int] = Counter()
    for entry in entries:
        if entry.get("method") == DELIVER:
            for stamp, count in (entry.get("num_reqs_per_sec") or {}).items():
                counts[(int(float(stamp)), _kind_of(entry))] += int(count)
    stamps = sorted({s for s, _ in counts} | set(users))
    if not stamps or not counts:
        return []
    first, last = min(s for s, _ in counts), max(s for s, _ in counts)
    out = []
    current_users = 0
    for stamp in stamps:
        current_users = users.get(stamp, current_users)
        if not first - 1 <= stamp <= last:
            continue
        point: dict[str, Any] = {"t": stamp - first, "at": stamp, "users": current_users, "deliveries_per_s": 0}
        for kind in KINDS:
            delivered = counts.get((stamp, kind), 0)
            figures = latency.get((stamp, kind))
            if delivered or figures:
                point[kind] = {"deliveries_per_s": delivered, **(figures or dict.fromkeys(("p50", "p95", "p99")))}
                point["deliveries_per_s"] += delivered
        out.append(point)
    return out
