"""Child processes the harness owns: started in their own process group, logged
to a file, waited on with a deadline, and stopped by escalating INT, TERM, KILL.

Every live process is registered so that a Ctrl-C or a crash in the driver can
still stop all of them (see ``stop_all``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

_LIVE: set[ManagedProcess] = set()
_LIVE_LOCK = threading.Lock()

STOP_STEPS: tuple[tuple[signal.Signals, float], ...] = (
    (signal.SIGINT, 3.0),
    (signal.SIGTERM, 3.0),
    (signal.SIGKILL, 3.0),
)


_DEFERRED = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class Outcome:
    """What a finished command left behind."""

    cmd: tuple[str, ...]
    returncode: int | None  # None: killed at its timeout
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, then deliver them.

    Popen forks, then waits for the exec: a KeyboardInterrupt raised in between
    leaves a running child that no Popen object (and so no ``stop_all``) knows.
    Signal handlers can only be set from the main thread; elsewhere, no change.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, frame: received.append(signum)) for sig in _DEFERRED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for signum in received[:1]:
            signal.raise_signal(signum)  # now the real handler runs: the child is registered


class ManagedProcess:
    """A long-running child (Redis, a chat server) whose output goes to ``log_path``."""

    def __init__(
        self,
        cmd: Sequence[str],
        log_path: Path,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.cmd = tuple(str(part) for part in cmd)
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        with _interrupts_deferred():  # a Ctrl-C inside Popen would orphan the child
            self.popen = subprocess.Popen(
                self.cmd,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: we can signal the whole tree
            )
            with _LIVE_LOCK:
                _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        with contextlib.suppress(ValueError):  # closed meanwhile by stop() in another thread
            self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def last_log_lines(self, count: int = 20) -> str:
        return "\n".join(self.log_text().rstrip().splitlines()[-count:])

    def stop(self) -> int | None:
        """Stop the whole process group, escalating; always reaps and closes the log."""
        try:
            for sig, grace in STOP_STEPS:
                if self._group_gone():
                    break
                self._signal_group(sig)
                self._wait_group(grace)
            return self.popen.poll()
        finally:
            self._log.close()
            with _LIVE_LOCK:
                _LIVE.discard(self)

    def _signal_group(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def _group_gone(self) -> bool:
        self.popen.poll()
        try:
            os.killpg(self.popen.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def _wait_group(self, grace: float) -> None:
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if self._group_gone():
                return
            time.sleep(0.05)


# The longest stop_all takes: every process stops at once, each within its steps.
STOP_ALL_SECONDS = sum(grace for _, grace in STOP_STEPS)


def stop_all() -> None:
    """Stop every process still registered (used on Ctrl-C and at exit), all at once.

    A Ctrl-C at a terminal reaches the driver twice (its own, then tox's), and tox
    follows with SIGTERM: a signal that cut this short would orphan the rest, so it
    is delivered once every process is gone."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    with _interrupts_deferred():
        stoppers = [threading.Thread(target=process.stop, name="stop-all") for process in live]
        for stopper in stoppers:
            stopper.start()
        for stopper in stoppers:
            stopper.join()


def run_command(
    cmd: Sequence[str],
    *,
    timeout: float,
    log_path: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Run a command to completion within ``timeout`` seconds, output kept in ``log_path``.

    A command still running at its timeout is stopped like a server (its whole
    process group) and reported with ``returncode=None``.
    """
    start = time.monotonic()
    process = ManagedProcess(cmd, log_path, cwd=cwd, env=env)
    try:
        returncode: int | None = process.popen.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        process.stop()
    output = log_path.read_text(encoding="utf-8", errors="replace")
    return Outcome(process.cmd, returncode, output, time.monotonic() - start)
