"""Shared fixtures for the harness's own tests."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.paths import ROOT
from harness.sut.procs import STOP_STEPS

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


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (the harness's children run in process groups of their own)."""
    below: dict[int, list[int]] = {}
    for child, parent, _ in processes():
        below.setdefault(parent, []).append(child)
    found: set[int] = set()
    todo = list(below.get(pid, []))
    while todo:
        child = todo.pop()
        if child not in found:
            found.add(child)
            todo += below.get(child, [])
    return found


def _stop(pid: int) -> None:
    """Stop ``pid`` as the harness stops its own: INT, then TERM, then KILL, each with a
    grace; its whole process group when it leads one (a server, Redis), else itself alone
    (a harness command started by a test shares pytest's group)."""
    for sig, grace in STOP_STEPS:
        try:
            if os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
            if not any(p == pid and "<defunct>" not in args for p, _, args in processes()):
                return
            time.sleep(0.1)


class Reaper:
    """What a test started (``own``) or saw start (``watch``): whatever still runs when the
    test ends is stopped then, after the test's own assertions about leftovers ran, so a
    failing test can neither leak a process nor have its leak check hidden by cleanup."""

    def __init__(self) -> None:
        self._owned: list[subprocess.Popen[Any]] = []
        self._watched: set[int] = set()

    def own(self, process: subprocess.Popen[Any]) -> subprocess.Popen[Any]:
        self._owned.append(process)
        return process

    def watch(self, pids: Iterable[int]) -> None:
        self._watched |= set(pids)

    def stop_all(self) -> None:
        for process in self._owned:
            if process.poll() is None:
                self._watched |= descendants(process.pid)  # before they lose their parent
                _stop(process.pid)
        for pid in sorted(self._watched):
            _stop(pid)


@pytest.fixture
def reaper() -> Iterator[Reaper]:
    reaper = Reaper()
    try:
        yield reaper
    finally:
        reaper.stop_all()


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


def check_named(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The one check of that name in a one-mode run's results."""
    [check] = [c for c in result["checks"] if c["name"] == name]
    return check


def unexpected_items(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(item, outcome) of a one-mode run's items that are not known (a server's known ones aside)."""
    [mode] = result["modes"]
    return [(i["item"], i["outcome"]) for i in mode["items"] if i["outcome"] != "known"]


class OkHandler(http.server.BaseHTTPRequestHandler):
    """An HTTP server's handler that answers every GET with an empty 200, silently."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass
