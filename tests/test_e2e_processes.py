"""--processes end to end: Channels 4 on daphne as 2 server processes, admin and
mary on one, john on the other.  The in-memory layer fails exactly the cells
that cross processes (the true finding: it is for one process only), while
channels_redis delivers every cell; each process keeps its own log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.paths import ROOT
from harness.run.placement import crossing, placement
from tests.conftest import CHANNELS_E2E_ENV, RUN_TIMEOUT

pytestmark = pytest.mark.e2e


def test_inmemory_fails_exactly_the_cross_process_cells_and_redis_none(work_root: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    cmd = [
        sys.executable,
        "-m",
        "harness.cli.main",
        "run",
        CHANNELS_E2E_ENV,
        "--processes",
        "2",
        "--reruns",
        "0",
        "--idle",
        "0",
    ]
    cmd += ["--server", "daphne+inmemory", "--server", "daphne+redis", "--results-dir", str(results)]
    cmd += ["--work-root", str(work_root)]
    # Missing deliveries are waited for: 1 s each is plenty on loopback, and keeps this test short.
    environ = os.environ | {"HARNESS_DELIVERY_TIMEOUT": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=ROOT, env=environ)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output  # the in-memory failures are known: expectations select on processes
    result = json.loads((results / f"{CHANNELS_E2E_ENV}--p2.json").read_text())
    assert result["processes"] == 2
    verdicts = {mode["name"]: mode for mode in result["modes"]}
    assert (verdicts["daphne+inmemory"]["outcome"], verdicts["daphne+redis"]["outcome"]) == ("known", "known")
    # Beside daphne's and Channels' own known behaviours, only the layer's single process.
    own = {"daphne-size-limit-drops", "daphne-fails-by-drop", "channels-logout-keeps-socket"}
    assert {i["expectation"] for i in verdicts["daphne+redis"]["items"]} <= own
    assert {i["expectation"] for i in verdicts["daphne+inmemory"]["items"]} - own == {"inmemory-layer-one-process"}
    where = placement(["p1", "p2"])
    by_mode: dict[str, dict[str, bool]] = {}
    for cell in result["deliveries"]:
        crosses = bool(crossing(cell["kind"], cell["sender"], cell["target"], where))
        by_mode.setdefault(cell["server"], {})[f"{cell['path']}-{cell['kind']}-{cell['sender']}-{cell['target']}"] = (
            cell["ok"] != crosses if cell["server"] == "daphne+inmemory" else cell["ok"]
        )
    # In-memory: ok exactly where the cell stays on one process; Redis: every cell ok.
    assert by_mode["daphne+inmemory"] and all(by_mode["daphne+inmemory"].values()), by_mode
    assert by_mode["daphne+redis"] and all(by_mode["daphne+redis"].values()), by_mode
    assert result["cross_process"]["daphne+inmemory"]["exactly_crossing"]
    assert result["cross_process"]["daphne+inmemory"]["crossing_cells"] == 20
    assert "daphne+inmemory: on 2 processes it fails exactly the 20 cells that cross processes" in output
    assert "daphne+redis: every cell passes on 2 processes" in output
    assert {s["name"] for s in result["servers"]} == {"daphne+inmemory", "daphne+redis"}
    log_dir = next(work_root.glob(f"**/{CHANNELS_E2E_ENV}/**/server-daphne+inmemory-p2*.log"), None)
    assert log_dir is not None, "each process has its own log"
