"""The load section's scaling table and plot: one server mode's figures at
1, 2, 4... server processes (``harness load --processes 1,2,4``), side by side."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from harness.report.plots import save_figure
from harness.report.rst import esc, heading, list_table


def _ms(value: float | None) -> str:
    return "─" if value is None else f"{value:g}"


def scaling_groups(summaries: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(env, server) -> its ok runs by process count, for modes run at more than one count."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for s in summaries:
        if s["status"] == "ok" and not s["options"].get("capacity"):
            groups[(s["env"], s["server"])].append(s)
    return {
        key: sorted(runs, key=lambda s: s.get("processes", 1))
        for key, runs in groups.items()
        if len({s.get("processes", 1) for s in runs}) > 1
    }


def plot_scaling(key: tuple[str, str], runs: list[dict[str, Any]], out_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = [s.get("processes", 1) for s in runs]
    figure, left = plt.subplots(figsize=(6, 3.5))
    left.plot(counts, [s["totals"]["deliveries_per_s"] for s in runs], marker="o", color="black")
    left.set_xlabel("server processes")
    left.set_ylabel("deliveries/s")
    left.set_xticks(counts)
    right = left.twinx()
    for name, color in (("p50", "tab:blue"), ("p99", "tab:red")):
        right.plot(counts, [s["totals"][name] or 0 for s in runs], marker="s", color=color, label=f"{name} ms")
    right.set_ylabel("latency ms")
    right.legend(loc="upper right", fontsize="small")
    left.set_title(f"{key[0]} on {key[1]}: scaling")
    path = out_dir / f"{key[0]}--{key[1].replace('+', '-')}--scaling.png"
    save_figure(figure, path)
    return path


def scaling_section(summaries: list[dict[str, Any]], output_dir: Path, can_plot: bool) -> list[str]:
    groups = scaling_groups(summaries)
    if not groups:
        return []
    out = heading("Scaling with server processes", "`")
    out += [
        "Each server process on its own port (the database and Redis shared); load user i logs in and "
        "connects to process i mod N, so placement is round robin, not the kernel's choice. Dev servers "
        "run as one process only. Same load at each count.",
        "",
    ]
    rows = []
    for (env, server), runs in groups.items():
        for s in runs:
            t, room = s["totals"], s.get("headroom") or {}
            rows.append(
                [
                    esc(server),
                    env,
                    str(s.get("processes", 1)),
                    f"{t['deliveries_per_s']:g}",
                    _ms(t["p50"]),
                    _ms(t["p99"]),
                    f"{t['loss_pct']:g} % ({t['lost']})",
                    f"{(s.get('schedule') or {}).get('achieved_pct', '─')}",
                    f"{room['ratio']:g}×" if room.get("ratio") is not None else "─",
                ]
            )
    out += list_table(
        ["Server", "Env", "Processes", "Deliveries/s", "p50 ms", "p99 ms", "Loss", "Sent % of offered", "Headroom"],
        rows,
    )
    if can_plot:
        for key, runs in groups.items():
            image = plot_scaling(key, runs, output_dir / "load" / "plots")
            out += [f".. image:: {image.relative_to(output_dir).as_posix()}", "   :width: 560px", ""]
    return out


def plot_knee(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """A step-load run's knee: users against p50, p99 and loss, with the p99 limit drawn."""
    cap = summary.get("capacity") or {}
    steps = cap.get("steps") or []
    if not steps:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = [s["users"] for s in steps]
    figure, left = plt.subplots(figsize=(7, 3.8))
    left.plot(users, [s["p50"] or 0 for s in steps], marker="o", label="p50 ms", color="tab:blue")
    left.plot(users, [s["p99"] or 0 for s in steps], marker="o", label="p99 ms", color="tab:red")
    left.axhline(cap["p99_limit_ms"], linestyle="--", color="tab:red", label=f"p99 limit {cap['p99_limit_ms']:g} ms")
    left.set_xlabel("users (step load)")
    left.set_ylabel("delivery latency ms")
    right = left.twinx()
    right.bar(users, [s["lost"] for s in steps], width=max(1, cap["step_users"] * 0.4), alpha=0.3, color="black")
    right.set_ylabel("deliveries lost in the step")
    left.legend(loc="upper left", fontsize="small")
    left.set_title(f"{summary['env']} on {summary['server']}: knee (held {cap['held_users']} users)")
    path = out_dir / f"{summary['key']}-knee.png"
    save_figure(figure, path)
    return [path]
