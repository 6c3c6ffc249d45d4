"""Lines of a load run's report section about how far its figures can be
trusted: open-loop schedule (offered vs achieved sends, latency from the
scheduled vs the actual send) and the generator's headroom against its
measured ceiling (``benchmarks/load_ceiling.py``)."""

from __future__ import annotations

from typing import Any

from harness.report.rst import esc


def _ms(value: float | None) -> str:
    return "─" if value is None else f"{value:g}"


def schedule_lines(summary: dict[str, Any]) -> list[str]:
    sched = summary.get("schedule")
    if not sched:
        return []
    out = [
        f"Open loop: offered {sched['offered_sends']} sends ({sched['offered_per_s']:g}/s), achieved "
        f"{sched['achieved_sends']} ({sched['achieved_per_s']:g}/s, {sched['achieved_pct']:g} %).",
        "",
    ]
    if sched.get("fell_behind"):
        out = [f"**⚠ {esc(sched['note'])}:** {out[0]}", ""]
    t = summary["totals"]
    send = t.get("from_send") or {}
    if send:
        out += [
            f"Latency from the scheduled send (the figures above): p50 {_ms(t['p50'])} / p99 {_ms(t['p99'])} ms; "
            f"from the actual send: p50 {_ms(send.get('p50'))} / p99 {_ms(send.get('p99'))} ms.",
            "",
        ]
    return out


def headroom_lines(summary: dict[str, Any]) -> list[str]:
    room = summary.get("headroom")
    if not room:
        return []
    mark = "**⚠** " if room.get("ratio") is not None and room["ratio"] < 3 else ""
    return [f"{mark}Generator: {esc(room['note'])}.", ""]
