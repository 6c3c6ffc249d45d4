"""Capacity shape: add ``--step-users`` every ``--step-seconds`` until delivery
p99 passes ``--p99-limit-ms`` or a delivery is lost, then stop.

    locust -f locustfile.py,locustfile_capacity.py --headless --host URL --capacity-out steps.json

(``harness load ENV --capacity`` does this.)  Runs on the master, or on the
only process; the steps and the highest load held go to ``--capacity-out``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from locust import LoadTestShape
from locust.runners import Runner

from harness.load.capacity import SETTLE_FRACTION, Snapshot, StepLoad


class CapacityShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self.plan: StepLoad | None = None
        self.step = 0
        self.settled: Snapshot | None = None

    @property
    def _runner(self) -> Runner:
        assert self.runner is not None, "Locust sets the shape's runner before its first tick"
        return self.runner

    @property
    def _options(self) -> Any:
        return self._runner.environment.parsed_options

    def _setup(self) -> StepLoad:
        options = self._options
        return StepLoad(options.step_users, options.step_seconds, options.max_users, options.p99_limit_ms)

    def _save(self) -> None:
        out = self._options.capacity_out
        if out and self.plan is not None:
            self.plan.save(Path(out))

    def tick(self) -> tuple[int, float] | None:
        if self.plan is None:
            self.plan = self._setup()
        plan, elapsed = self.plan, self.get_run_time()
        entries = self._runner.stats.entries
        step_started = self.step * plan.step_seconds
        if self.settled is None and elapsed >= step_started + SETTLE_FRACTION * plan.step_seconds:
            self.settled = Snapshot.of(entries)
        if elapsed >= step_started + plan.step_seconds and self.settled is not None:
            verdict = plan.judge(plan.users_at(self.step), self.settled, Snapshot.of(entries))
            self._save()
            self.step, self.settled = self.step + 1, None
            if not verdict.held or self.step >= plan.step_count:
                return None
        spawn_rate = max(float(self._options.spawn_rate or 1), 1.0)
        return plan.users_at(self.step), spawn_rate
