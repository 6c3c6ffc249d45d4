"""The load section's PNG plots (throughput and latency percentiles over time),
drawn with matplotlib (the ``load`` extra) and each written atomically."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from typing import Any

from harness.stacks.base import KINDS


def plots_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def save_figure(figure: Any, path: Path) -> None:
    """Lay the figure out, write it to ``path`` atomically, and free it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        figure.savefig(tmp, dpi=90)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        plt.close(figure)


def plot_run(summary: dict[str, Any], out_dir: Path) -> list[Path]:
    """Throughput (with users and generator CPU) and latency percentiles over time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = summary.get("timeline") or []
    if not points:
        return []
    key = summary["key"]
    seconds = [p["t"] for p in points]
    title = f"{summary['env']} on {summary['server']}"
    paths = []

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, height_ratios=(2, 1))
    top.plot(seconds, [p["deliveries_per_s"] for p in points], label="all kinds", color="black")
    for kind in KINDS:
        if any(kind in p for p in points):
            top.plot(seconds, [p.get(kind, {}).get("deliveries_per_s", 0) for p in points], label=kind)
    top.set_ylabel("deliveries/s")
    top.set_title(f"{title}: throughput")
    top.legend(loc="upper left", fontsize="small")
    bottom.plot(seconds, [p["users"] for p in points], label="users", color="tab:gray")
    bottom.set_ylabel("users")
    bottom.set_xlabel("seconds")
    cpu = (summary.get("generator") or {}).get("timeline") or []
    if cpu:
        right = bottom.twinx()
        # Both clocks are wall clocks: put the CPU samples on the stats' time axis.
        origin = points[0].get("at", 0) - points[0]["t"]
        times = [(c["at"] - origin) if c.get("at") and origin else c["t"] for c in cpu]
        right.plot(times, [c["busiest_pct"] for c in cpu], color="tab:red", label="generator CPU %")
        right.set_ylabel("generator CPU %")
        right.set_ylim(0, 110)
        right.legend(loc="lower right", fontsize="small")
    paths.append(out_dir / f"{key}-throughput.png")
    save_figure(figure, paths[-1])

    kinds = [k for k in KINDS if any(k in p for p in points)]
    figure, axes = plt.subplots(len(kinds), 1, figsize=(8, 2.2 * len(kinds) + 0.6), sharex=True, squeeze=False)
    for axis, kind in zip(axes[:, 0], kinds, strict=True):
        for pct, style in (("p50", ":"), ("p95", "--"), ("p99", "-")):
            axis.plot(seconds, [p.get(kind, {}).get(pct) for p in points], style, label=pct)
        axis.set_ylabel(f"{kind} ms")
        axis.legend(loc="upper left", fontsize="small")
    axes[0, 0].set_title(f"{title}: delivery latency percentiles (10 s window)")
    axes[-1, 0].set_xlabel("seconds")
    paths.append(out_dir / f"{key}-latency.png")
    save_figure(figure, paths[-1])
    return paths
