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
    out = []
    machine = summary.get("machine")
    if machine:
        out += [
            f"Machine: {esc(machine['host'])}, {machine['cores']} cores, load average {machine['load_average']:.2f} "
            "when the run began (figures from a shared, busy machine are not capacity figures).",
            "",
        ]
    repeats = summary.get("repeats")
    if repeats:
        out += [
            f"Repeated {repeats['runs']} times ({repeats['ok']} gave figures): the table gives the median "
            f"(min–max) of each headline figure; the details below are run {repeats['shown']}'s "
            "(the median p99).",
            "",
        ]
    if summary.get("ended_early"):
        out += [f"**⚠ Ended early:** {esc(summary['ended_early'])}.", ""]
    room = summary.get("headroom")
    if room:
        mark = "**⚠** " if room.get("ratio") is not None and room["ratio"] < 3 else ""
        out += [f"{mark}Generator: {esc(room['note'])}.", ""]
    return out


def figures_with_spread(summary: dict[str, Any]) -> dict[str, str]:
    """The table's headline figures: the run's own, or median (min–max) over ``--repeat`` runs."""
    t = summary["totals"]
    out = {"deliveries_per_s": f"{t['deliveries_per_s']:g}", **{p: _ms(t[p]) for p in ("p50", "p95", "p99")}}
    spread = (summary.get("repeats") or {}).get("spread") or {}
    for name, figures in spread.items():
        if name in out:
            out[name] = f"{figures['median']:g} ({figures['min']:g}–{figures['max']:g})"
    if "held_users" in spread:
        users, rate = spread["held_users"], spread.get("held_deliveries_per_s")
        out["capacity"] = f"{users['median']:g} users ({users['min']:g}–{users['max']:g})"
        if rate:
            out["capacity"] += f", {rate['median']:g}/s"
    return out
