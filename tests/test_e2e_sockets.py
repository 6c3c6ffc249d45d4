"""Idle-socket capacity end to end: ``harness load ENV --server M --sockets N``
against Channels 4 on daphne: every socket held and reached by the broadcast,
memory per socket measured; Ctrl-C in the middle of
the ramp leaves none of its processes behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness.load.runs import run_key
from harness.paths import ROOT
from tests.conftest import CHANNELS_E2E_ENV, Reaper

pytestmark = pytest.mark.e2e
SERVER = "daphne+redis"


def _cmd(work_root: Path, load_dir: Path, sockets: str) -> list[str]:
    cmd = [sys.executable, "-m", "harness.cli.main", "load", CHANNELS_E2E_ENV, "--server", SERVER]
    return cmd + ["--sockets", sockets, "--users", "10", "--load-dir", str(load_dir), "--work-root", str(work_root)]


def test_sockets_are_held_reached_and_measured(work_root: Path, tmp_path: Path) -> None:
    done = subprocess.run(_cmd(work_root, tmp_path, "150"), capture_output=True, text=True, timeout=600, cwd=ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    figures = json.loads((tmp_path / "sockets" / f"{run_key(CHANNELS_E2E_ENV, SERVER)}.json").read_text())
    assert figures["status"] == "ok" and figures["completed"] and figures["held"] == 150, figures
    assert figures["first_failure"] == "" and figures["handshake_p50_ms"] is not None
    [point] = figures["points"]
    assert point["sockets"] == 150 and point["fanout_reached"] == 150 and point["fanout_ms"] is not None
    assert point["rss_per_socket_kib"] is not None and point["server_rss_mib"] > 0
    assert figures["fd_limit"]["soft"] >= min(1150, figures["fd_limit"]["hard"])
    assert "idle sockets: held 150 of 150" in output


def test_ctrl_c_during_the_ramp_leaves_no_process(work_root: Path, tmp_path: Path, reaper: Reaper) -> None:
    harness = reaper.own(
        subprocess.Popen(_cmd(work_root, tmp_path, "20000"), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    )
    deadline = time.monotonic() + 120
    # Interrupt once the server is up and sockets are being opened.
    while time.monotonic() < deadline and not any(
        "daphne" in _cmdline(c)
        for c in _children(harness.pid)  # a child may be a zombie meanwhile
    ):
        time.sleep(0.2)
    time.sleep(4)
    children = {c.pid for c in _children(harness.pid)}
    reaper.watch(children)  # stopped at teardown whatever the assertions below say
    assert children, "the server never started"
    harness.send_signal(signal.SIGINT)
    code = harness.wait(timeout=60)
    assert code == 130, harness.stdout.read().decode() if harness.stdout else ""
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _cmdline(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # exited (or a zombie) meanwhile
        return ""


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []
