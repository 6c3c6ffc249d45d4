"""The load generator's own ceiling on this machine, and a run's headroom against it.

``benchmarks/load_ceiling.py`` drives the minimal fan-out server
(``harness.load.fanout_server``) with the real load users until the generator
saturates, and keeps its deliveries/s per core of generator CPU here (the
harness's work folder: a figure of this machine, not of the checkout).
Every ``harness load`` run records its headroom: that ceiling (per core, times
the generator's processes) over the deliveries/s the run needed.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from harness.paths import work_root
from harness.results.files import write_atomic

HEADROOM_GOAL = 3.0  # the generator should sustain 3x what it is asked for


def ceiling_path() -> Path:
    return work_root() / "load" / "generator-ceiling.json"


def save_ceiling(figures: dict[str, Any]) -> Path:
    path = ceiling_path()
    write_atomic(path, json.dumps(figures, indent=2) + "\n")
    return path


def read_ceiling() -> dict[str, Any] | None:
    try:
        data = json.loads(ceiling_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("per_core") else None


def headroom(deliveries_per_s: float, generator_processes: int, ceiling: dict[str, Any] | None) -> dict[str, Any]:
    """The run's deliveries/s against what the generator can sustain on this machine."""
    if ceiling is None:
        return {"measured": False, "note": "generator ceiling not measured here: run benchmarks/load_ceiling.py"}
    same_host = ceiling.get("host") == socket.gethostname()
    sustainable = ceiling["per_core"] * max(1, generator_processes)
    ratio = round(sustainable / deliveries_per_s, 1) if deliveries_per_s else None
    note = f"generator ceiling {sustainable:g} deliveries/s ({ceiling['per_core']:g}/s per core"
    note += f" × {max(1, generator_processes)}, measured {ceiling.get('measured_at', '?')})"
    if ratio is not None:
        note += f": headroom {ratio:g}×"
        if ratio < HEADROOM_GOAL:
            note += f" (below {HEADROOM_GOAL:g}×: the generator may shape these figures)"
    if not same_host:
        note += f"; measured on {ceiling.get('host')}, not this machine"
    return {"measured": True, "sustainable_per_s": sustainable, "ratio": ratio, "same_host": same_host, "note": note}
