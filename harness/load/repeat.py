"""Repeated load runs (``harness load --repeat 3``): each headline figure as
min, median and max over the runs, and the run to show in full (the one whose
p99 is the median), so that one lucky or unlucky run is not the figure."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from harness.errors import whole_number
from harness.load.options import LoadOptions
from harness.load.runs import LoadEnv, load_env_server, run_key
from harness.results.files import write_atomic

MAX_REPEAT = 10
HEADLINE = ("deliveries_per_s", "p50", "p95", "p99", "loss_pct")


def parse_repeat(text: str | int) -> int:
    """``--repeat`` of ``harness load``: runs of each figure (bad input: one line, exit 2)."""
    return whole_number(text, "--repeat", MAX_REPEAT)


def _figure(summary: dict[str, Any], name: str) -> float | None:
    if name in ("held_users", "held_deliveries_per_s"):
        return (summary.get("capacity") or {}).get(name)
    if name == "achieved_pct":
        return (summary.get("schedule") or {}).get(name)
    return summary["totals"].get(name)


def spread(summaries: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """name -> {min, median, max} over the runs that gave figures."""
    ok = [s for s in summaries if s["status"] == "ok"]
    names = [*HEADLINE, "achieved_pct"]
    if any(s.get("capacity") for s in ok):
        names += ["held_users", "held_deliveries_per_s"]
    out = {}
    for name in names:
        values = [v for v in (_figure(s, name) for s in ok) if v is not None]
        if values:
            out[name] = {"min": min(values), "median": statistics.median(values), "max": max(values)}
    return out


def median_run(summaries: list[dict[str, Any]]) -> int:
    """Index of the run to show in full: the median p99 among runs with figures (else the first)."""
    ok = [(s["totals"]["p99"] or 0.0, i) for i, s in enumerate(summaries) if s["status"] == "ok"]
    if not ok:
        return 0
    return sorted(ok)[(len(ok) - 1) // 2][1]


def spread_text(figures: dict[str, float], unit: str = "") -> str:
    return f"{figures['median']:g}{unit} ({figures['min']:g}–{figures['max']:g})"


def load_repeated(
    env: LoadEnv, server: str, options: LoadOptions, load_dir: Path, command: str, repeat: int
) -> dict[str, Any]:
    """``repeat`` runs of one server; each kept under ``load_dir/repeats/rN/``, and the median
    run's figures with the spread of all in ``load_dir/<key>.json`` (what the report reads)."""
    if repeat == 1:
        return load_env_server(env, server, options, load_dir, command)
    runs = []
    for index in range(repeat):
        runs.append(load_env_server(env, server, options, load_dir / "repeats" / f"r{index + 1}", command))
    chosen = median_run(runs)
    summary = dict(runs[chosen])
    prefix = f"load/repeats/r{chosen + 1}/"
    summary["files"] = {name: prefix + path[len("load/") :] for name, path in summary.get("files", {}).items()}
    summary["repeats"] = {
        "runs": repeat,
        "shown": chosen + 1,
        "ok": sum(1 for r in runs if r["status"] == "ok"),
        "spread": spread(runs),
    }
    key = run_key(summary["env"], server, summary.get("processes", 1))
    write_atomic(load_dir / f"{key}.json", json.dumps(summary, indent=2) + "\n")
    return summary
