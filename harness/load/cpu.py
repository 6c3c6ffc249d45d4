"""CPU use of the load generator, sampled from outside while Locust runs.

Locust runs its users on one core per process (gevent), so a process near
100 % of a core is a generator that can no longer keep up: its latencies and
rates describe itself, not the server.  The machine-wide figure shows when
generator and server together used every core.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psutil

SATURATED_PCT = 90.0  # of one core, per generator process
SATURATED_SHARE = 0.25  # of the samples
MACHINE_BUSY_PCT = 95.0
WARM_UP_SAMPLES = 2  # the first samples see imports and start-up, not load


class CpuSampler:
    """Samples every ``interval`` seconds the CPU % of the processes ``pids()`` names."""

    def __init__(self, pids: Callable[[], list[int]], interval: float = 1.0) -> None:
        self._pids = pids
        self.interval = interval
        self.samples: list[dict[str, Any]] = []
        self._procs: dict[int, psutil.Process] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._started = 0.0

    def __enter__(self) -> CpuSampler:
        self._started = time.monotonic()
        psutil.cpu_percent(None)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            per_process = []
            for pid in self._pids():
                proc = self._procs.get(pid)
                try:
                    if proc is None:
                        proc = self._procs[pid] = psutil.Process(pid)
                        proc.cpu_percent(None)  # the first call only sets the baseline
                        continue
                    per_process.append(round(proc.cpu_percent(None), 1))
                except psutil.Error:
                    self._procs.pop(pid, None)
            self.samples.append(
                {
                    "t": round(time.monotonic() - self._started, 1),
                    "at": round(time.time(), 1),
                    "processes": per_process,
                    "machine": round(psutil.cpu_percent(None), 1),
                }
            )


def judge(samples: list[dict[str, Any]], cores: int | None = None) -> dict[str, Any]:
    """Mean and peak use, and whether the generator (or the whole machine) was saturated."""
    useful = [s for s in samples[WARM_UP_SAMPLES:] if s["processes"]]
    busiest = [max(s["processes"]) for s in useful]
    machine = [s["machine"] for s in useful]
    hot = sum(1 for value in busiest if value >= SATURATED_PCT)
    share = hot / len(busiest) if busiest else 0.0
    return {
        "cores": cores or psutil.cpu_count() or 1,
        "samples": len(useful),
        "busiest_process_mean_pct": round(sum(busiest) / len(busiest), 1) if busiest else None,
        "busiest_process_max_pct": max(busiest) if busiest else None,
        "saturated_share": round(share, 2),
        "saturated": share >= SATURATED_SHARE,
        "machine_mean_pct": round(sum(machine) / len(machine), 1) if machine else None,
        "machine_busy": bool(machine) and sum(machine) / len(machine) >= MACHINE_BUSY_PCT,
        "timeline": [{"t": s["t"], "busiest_pct": max(s["processes"]), "machine_pct": s["machine"]} for s in useful],
    }
