"""The one preparation of a system under test, shared by ``harness run``,
``serve`` and ``load``: interpreter → SUT venv → Redis → chat wiring → template
database, then a private scratch folder for this run's database copies.

Each step raises its own ``HarnessError`` (``InterpreterMissing``,
``InstallError``, ``RedisUnavailable``, ``SetupError``), and each caller maps it
to a verdict or a message.  What was learned before a step failed stays in the
caller's ``Progress``.  Two runs of one env may start together (two
``harness serve``): the venv and the template are built under a lock on the
env's work folder, and everything else a run writes is its own.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, InterpreterMissing
from harness.matrix.envs import EnvSpec
from harness.stacks import stack_for
from harness.sut.config import ChatConfig, ChatOptions
from harness.sut.database import MIGRATE_TIMEOUT, fresh_copy, template_database
from harness.sut.interpreters import find_interpreter
from harness.sut.redis_server import RedisEndpoint, private_redis
from harness.sut.venv import INSTALL_TIMEOUT, SutEnv, build_sut_env

# Longer than any one holder can keep the lock: a cold install and a migrate.
LOCK_TIMEOUT = INSTALL_TIMEOUT + 2 * MIGRATE_TIMEOUT + 60
LOCK_FILE = ".prepare.lock"


@dataclass
class Progress:
    """What preparation found so far; kept by the caller even when a step fails."""

    python: str | None = None
    sut: SutEnv | None = None
    install_seconds: float | None = None
    redis: RedisEndpoint | None = None
    migrate_seconds: float | None = None
    database_reused: bool | None = None


@dataclass(frozen=True)
class PreparedSut:
    """A ready SUT: its venv, Redis, wiring, template database and scratch folder."""

    spec: EnvSpec
    sut: SutEnv
    config: ChatConfig
    template_db: Path
    work_dir: Path
    scratch_dir: Path  # this run's own files (database copies), removed at the end

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "logs"

    def database_copy(self, name: str) -> Path:
        """A private copy of the template for one server."""
        return fresh_copy(self.template_db, self.scratch_dir / f"{name}.sqlite3")


@contextlib.contextmanager
def work_dir_lock(work_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the env's work folder while building what runs of it share (bounded wait)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    with open(work_dir / LOCK_FILE, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise HarnessError(
                        f"{work_dir} is held by {holder} for more than {timeout:.0f} s: stop that run, or "
                        "use another --work-root"
                    ) from None
                time.sleep(0.2)
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def prepare(spec: EnvSpec, work_root: Path, options: ChatOptions, progress: Progress) -> Iterator[PreparedSut]:
    """Prepare ``spec``'s SUT under ``work_root``; stop Redis and remove the scratch folder after."""
    interpreter = find_interpreter(spec.python_version)
    if interpreter is None:
        raise InterpreterMissing(f"not tested: interpreter not available (python{spec.python_version} not found)")
    work_dir = work_root / spec.sut_name  # a suite (ENV-deep) shares ENV's venv and database
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with work_dir_lock(work_dir):
        started = time.monotonic()
        try:
            # An unpinned (-latest) venv is resolved again each day, a pinned one when its pins change.
            extra: dict[str, object] = {"resolved_on": datetime.date.today().isoformat()} if spec.latest else {}
            sut = build_sut_env(work_dir / "venv", interpreter, spec.requirements(), log_dir, extra)
        finally:
            progress.install_seconds = round(time.monotonic() - started, 2)
            progress.python = interpreter.version
    progress.sut = sut
    with private_redis(work_dir, options.redis) as redis_run:
        progress.redis = redis_run.endpoint
        config = ChatConfig(
            stack_for(spec.stack.family),
            options,
            redis_run.endpoint,
            key_prefix=f"h-{spec.name}-{secrets.token_hex(3)}",
            bytecode_dir=work_dir / "bytecode",
            extra_environment=spec.chat_environment(),
        )
        with work_dir_lock(work_dir):
            template_db, seconds, progress.database_reused = template_database(config, sut, work_dir, log_dir)
        progress.migrate_seconds = round(seconds, 2)
        scratch_dir = Path(tempfile.mkdtemp(prefix="run-", dir=work_dir))
        try:
            yield PreparedSut(spec, sut, config, template_db, work_dir, scratch_dir)
        finally:
            shutil.rmtree(scratch_dir, ignore_errors=True)
