"""The side-by-side Markdown table of one ``harness load`` command (``--markdown``):
the README's load tables are pasted from it, never typed."""

from __future__ import annotations

from typing import Any

COLUMNS = ("deliveries_per_s", "p50", "p95", "p99")


def _cell(result: dict[str, Any], name: str) -> str:
    figures = ((result.get("repeats") or {}).get("spread") or {}).get(name)
    if figures:
        return f"{figures['median']:g} ({figures['min']:g}–{figures['max']:g})"
    value = result["totals"].get(name)
    return "─" if value is None else f"{value:g}"


def markdown_table(results: list[dict[str, Any]]) -> str:
    head = (
        "| stack, server | processes | deliveries/s | p50 ms | p95 ms | p99 ms | loss | sent % of offered | headroom |"
    )
    lines = [head, "|" + "---|" * 9]
    for r in results:
        name = (
            f"{r['stack']['name']} {r['stack']['version']}, {r['server']} (Python {r['python']}, Django {r['django']})"
        )
        if r["status"] != "ok":
            lines.append(f"| {name} | {r.get('processes', 1)} | no figures: {r['reason']} |||||||")
            continue
        t, room = r["totals"], r.get("headroom") or {}
        loss = f"{t['loss_pct']:g} %"
        sched = (r.get("schedule") or {}).get("achieved_pct")
        ratio = f"{room['ratio']:g}×" if room.get("ratio") is not None else "─"
        cells = " | ".join(_cell(r, c) for c in COLUMNS)
        lines.append(
            f"| {name} | {r.get('processes', 1)} | {cells} | {loss} | {sched if sched is not None else '─'} | {ratio} |"
        )
    runs = max(((r.get("repeats") or {}).get("runs", 1) for r in results), default=1)
    machine = next((r["machine"] for r in results if r.get("machine")), None)
    notes = [f"Median (min–max) of {runs} runs." if runs > 1 else "One run each."]
    if machine:
        where = f"Machine {machine['host']}, {machine['cores']} cores"
        notes.append(f"{where}, load average {machine['load_average']:.2f} at the start.")
    return "\n".join(lines) + "\n\n" + " ".join(notes) + "\n"
