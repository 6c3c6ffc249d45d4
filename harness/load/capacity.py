"""Step load: add users step by step until delivery p99 passes a limit or loss
appears; the last step that held is the stack's capacity figure.

Each step is judged on its settled part (after the new users logged in and
subscribed) from cumulative Locust stats taken at the two ends of that part:
the latency histograms subtract exactly.  Pure logic, driven by the shape in
``locustfile_capacity.py`` once a second.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.load.stats import percentile
from harness.load.tracker import DELIVER, LOST
from harness.results.files import write_atomic

SETTLE_FRACTION = 0.4  # of each step, before it is measured


@dataclass(frozen=True)
class Snapshot:
    at: float
    latencies: Counter[int]
    deliveries: int
    lost: int

    @staticmethod
    def of(stats_entries: Any, now: float | None = None) -> Snapshot:
        """From Locust's ``runner.stats.entries`` (cumulative since the start)."""
        latencies: Counter[int] = Counter()
        deliveries = lost = 0
        for (_name, method), entry in stats_entries.items():
            if method == DELIVER:
                latencies.update(entry.response_times)
                deliveries += entry.num_requests
            elif method == LOST:
                lost += entry.num_requests
        return Snapshot(time.time() if now is None else now, latencies, deliveries, lost)


@dataclass
class Step:
    users: int
    deliveries_per_s: float
    p50: float | None
    p95: float | None
    p99: float | None
    lost: int
    held: bool
    why: str = ""


@dataclass
class StepLoad:
    step_users: int
    step_seconds: float
    max_users: int
    p99_limit_ms: float
    steps: list[Step] = field(default_factory=list)
    stopped_because: str = ""

    def __post_init__(self) -> None:
        if self.step_users < 1 or self.step_seconds <= 0 or self.max_users < self.step_users:
            raise ValueError("step load needs step users >= 1, step seconds > 0 and max users >= step users")

    @property
    def step_count(self) -> int:
        return self.max_users // self.step_users

    def users_at(self, step: int) -> int:
        return (step + 1) * self.step_users

    def judge(self, users: int, start: Snapshot, end: Snapshot) -> Step:
        """The verdict on one step from the stats at the start and end of its measured part."""
        window = end.latencies - start.latencies
        seconds = max(end.at - start.at, 1e-9)
        deliveries = end.deliveries - start.deliveries
        lost = end.lost - start.lost
        p99 = percentile(window, 0.99)
        why = ""
        if deliveries == 0:
            why = "no deliveries"
        elif lost:
            why = f"{lost} deliveries lost"
        elif p99 is not None and p99 > self.p99_limit_ms:
            why = f"p99 {p99:g} ms > {self.p99_limit_ms:g} ms"
        step = Step(
            users,
            round(deliveries / seconds, 1),
            percentile(window, 0.50),
            percentile(window, 0.95),
            p99,
            lost,
            held=not why,
            why=why,
        )
        self.steps.append(step)
        if why:
            self.stopped_because = f"{users} users: {why}"
        return step

    def capacity(self) -> Step | None:
        """The highest step held before the first that did not."""
        best = None
        for step in self.steps:
            if not step.held:
                break
            best = step
        return best

    def as_dict(self) -> dict[str, Any]:
        best = self.capacity()
        return {
            "step_users": self.step_users,
            "step_seconds": self.step_seconds,
            "max_users": self.max_users,
            "p99_limit_ms": self.p99_limit_ms,
            "steps": [asdict(s) for s in self.steps],
            "held_users": best.users if best else 0,
            "held_deliveries_per_s": best.deliveries_per_s if best else 0.0,
            "held_p99": best.p99 if best else None,
            "stopped_because": self.stopped_because
            or ("reached --max-users" if len(self.steps) >= self.step_count else "run ended"),
        }

    def save(self, path: Path) -> None:
        write_atomic(path, json.dumps(self.as_dict(), indent=2) + "\n")
