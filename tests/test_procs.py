"""Process control: whole process groups stopped, bounded commands killed."""

from __future__ import annotations

import configparser
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from harness.sut import procs
from harness.sut.procs import ManagedProcess, run_command, stop_all


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it is gone for our purpose
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z" if Path(f"/proc/{pid}").exists() else False


def test_stop_kills_children_that_ignore_sigint_and_sigterm(tmp_path: Path) -> None:
    script = "trap '' INT TERM; sleep 60 & echo $! > child.pid; wait"
    process = ManagedProcess(["bash", "-c", script], tmp_path / "log", cwd=tmp_path)
    deadline = time.monotonic() + 5
    while not (tmp_path / "child.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((tmp_path / "child.pid").read_text())
    started = time.monotonic()
    process.stop()
    assert not _alive(process.pid) and not _alive(child)
    assert time.monotonic() - started < 10  # INT 3 s + TERM 3 s, then KILL


def test_run_command_stops_at_its_timeout(tmp_path: Path) -> None:
    outcome = run_command(["sleep", "30"], timeout=0.5, log_path=tmp_path / "log")
    assert outcome.returncode is None and outcome.seconds < 5


def test_run_command_keeps_output(tmp_path: Path) -> None:
    outcome = run_command(["bash", "-c", "echo hello; exit 3"], timeout=5, log_path=tmp_path / "log")
    assert outcome.returncode == 3 and outcome.output.strip() == "hello"


def test_stop_all_stops_every_live_process(tmp_path: Path) -> None:
    processes = [ManagedProcess(["sleep", "60"], tmp_path / f"log{i}") for i in range(2)]
    stop_all()
    assert not any(p.alive() for p in processes)


def test_ctrl_c_during_a_spawn_still_leaves_the_child_registered(tmp_path: Path, monkeypatch) -> None:
    """A server started ahead may be spawning when Ctrl-C comes: it must still be stopped."""
    real_popen = procs.subprocess.Popen

    def popen_interrupted_midway(*args, **kwargs):
        child = real_popen(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # lands while Popen has not returned yet
        return child

    monkeypatch.setattr(procs.subprocess, "Popen", popen_interrupted_midway)
    with pytest.raises(KeyboardInterrupt):
        ManagedProcess(["sleep", "30"], tmp_path / "log")
    orphans = [p for p in procs._LIVE if p.cmd == ("sleep", "30")]
    assert len(orphans) == 1  # registered before the interrupt was delivered
    stop_all()
    assert not _alive(orphans[0].pid)


def test_a_signal_during_stop_all_waits_until_every_process_is_gone(tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches the driver twice and tox adds SIGTERM: none may cut the stop short."""
    script = "trap '' INT; sleep 60 & wait"  # stops at TERM, 3 s after the INT
    processes = [ManagedProcess(["bash", "-c", script], tmp_path / f"log{i}") for i in range(3)]
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            stop_all()
    finally:
        timer.cancel()  # a timer that never fired must not interrupt the next test
    assert not any(p.alive() for p in processes)  # all stopped before the interrupt was raised
    assert time.monotonic() - started < 2 * procs.STOP_STEPS[0][1]  # at once, not one after another


def test_tox_gives_the_driver_time_to_stop_its_children() -> None:
    config = configparser.ConfigParser(interpolation=None)
    config.read(Path(__file__).parents[1] / "tox.ini")
    assert float(config["testenv"]["interrupt_timeout"]) >= procs.STOP_ALL_SECONDS + 10  # + results and browser
    assert float(config["testenv"]["terminate_timeout"]) >= procs.STOP_ALL_SECONDS
