"""Shared fixtures for the harness's own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.paths import ROOT

BROKEN_SERVERS = Path(__file__).parent / "broken_servers"
E2E_ENV = os.environ.get("HARNESS_E2E_ENV", "py27-django18-ws4redis04")
CHANNELS_E2E_ENV = os.environ.get("HARNESS_CHANNELS_E2E_ENV", "py311-django42-channels4")
RUN_TIMEOUT = 1800  # a cold install compiles uWSGI; a warm run takes seconds


def processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process; -ww: ps cuts lines at 80
    columns otherwise (under pytest), and a leak check would then see nothing."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()]
    return [(int(row[0]), int(row[1]), row[2] if len(row) > 2 else "") for row in rows]


@pytest.fixture(scope="session")
def work_root() -> Path:
    """SUT venvs are kept between test runs (keyed by their recipe), like tox's."""
    root = Path(os.environ.get("HARNESS_TEST_WORK_ROOT", ROOT / ".harness" / "test-work"))
    root.mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def run_harness(work_root: Path, tmp_path: Path) -> Callable[..., tuple[int, dict[str, Any], str]]:
    """Run ``harness run ENV [args]`` as a user would; return (exit code, results, output)."""

    def run(env: str, *args: str, extra_env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
        results_dir = tmp_path / "results"
        cmd = [
            sys.executable,
            "-m",
            "harness.cli.main",
            "run",
            env,
            "--results-dir",
            str(results_dir),
            "--work-root",
            str(work_root),
            # The idle check waits 6 s per env: on only in the tests that are about it.
            *(() if "--idle" in args else ("--idle", "0")),
            *args,
        ]
        environ = os.environ | (extra_env or {})
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=ROOT, env=environ)
        result = json.loads((results_dir / f"{env}.json").read_text())
        return done.returncode, result, done.stdout + done.stderr

    return run
