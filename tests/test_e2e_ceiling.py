"""The generator's ceiling end to end: the real load users (Locust, open loop)
against the minimal fan-out server; it prints a per-core figure, keeps it where
``harness load`` reads it for its headroom, and leaves nothing running."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.paths import ROOT
from tests.conftest import processes

pytestmark = pytest.mark.e2e
BENCH = ROOT / "benchmarks" / "load_ceiling.py"


def test_ceiling_is_measured_kept_and_nothing_is_left(tmp_path: Path) -> None:
    environ = os.environ | {"HARNESS_WORK_ROOT": str(tmp_path / "work")}
    cmd = [sys.executable, str(BENCH), "--users", "6", "--rates", "2", "--run-time", "4s"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT, env=environ)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "rate 2/s × 6 users:" in output and "generator ceiling:" in output
    figures = json.loads((tmp_path / "work" / "load" / "generator-ceiling.json").read_text())
    step = figures["steps"][0]
    assert step["deliveries_per_s"] > 0 and step["lost"] == 0 and step["errors"] == 0, step
    assert step["achieved_pct"] > 80 and figures["per_core"] > 0
    assert not [args for _, _, args in processes() if str(tmp_path) in args]


@pytest.mark.parametrize("rates", ["0", "fast", "2,-1", ""])
def test_bad_rates_are_one_line_and_exit_2(rates: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--rates", rates], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "bad --rates" in done.stderr
