"""Run a chat server project in a SUT venv: prepare its database, start one
server mode, and decide whether "the web server works" (process up, a page
answers 200, a WebSocket handshake answers 101) within a bounded start-up time.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import websocket

from harness.clients import LOGIN_PATH, ws_url
from harness.ports import free_port
from harness.procs import ManagedProcess, run_command
from harness.redis_server import RedisEndpoint
from harness.stacks.base import Stack
from harness.sutenv import SutEnv

STARTUP_TIMEOUT = 60.0
MIGRATE_TIMEOUT = 180.0
LOG_EXCERPT_LINES = 40
LOG_TAIL_LINES = 25

# The last line of a traceback: "module.SomeError: message".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Configured|Exit): .+")
# "path.py:12: RemovedInDjango110Warning: message" as printed by the warnings module.
WARNING_LINE = re.compile(r"(?P<where>\S+:\d+): (?P<category>\w*Warning): (?P<message>.+)$")


class SetupError(Exception):
    """The chat project could not be prepared (migrate, loaddata)."""


@dataclass(frozen=True)
class ChatConfig:
    """Where the chat project lives and how it is wired for one run."""

    stack: Stack
    settings_module: str
    redis: RedisEndpoint
    key_prefix: str
    extra_pythonpath: tuple[Path, ...] = ()

    def environment(self, sut: SutEnv, db_path: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DJANGO_"))}
        path = [str(self.stack.project_dir), *map(str, self.extra_pythonpath)]
        env.update(
            PATH=f"{sut.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(sut.venv),
            PYTHONPATH=os.pathsep.join(path),
            PYTHONWARNINGS="default",  # show Django's deprecation warnings in the log
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",  # parallel envs share the project folder: leave it read-only
            DJANGO_SETTINGS_MODULE=self.settings_module,
            CHAT_DB=str(db_path),
            CHAT_REDIS_HOST=self.redis.host,
            CHAT_REDIS_PORT=str(self.redis.port),
            CHAT_REDIS_DB=str(self.redis.db),
            CHAT_REDIS_PREFIX=self.key_prefix,
        )
        return env


@dataclass
class ServerStart:
    """What starting one server mode showed; becomes a ``servers`` entry."""

    name: str
    started: bool = False
    startup_seconds: float | None = None
    log_excerpt: str = ""
    log_tail: str = ""  # the end of the log: where crashes and tracebacks are
    exceptions: list[str] = field(default_factory=list)  # distinct exception lines the server logged
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    http_status: int | None = None
    ws_status: int | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def prepare_database(config: ChatConfig, sut: SutEnv, db_path: Path, log_dir: Path) -> float:
    """Migrate a fresh SQLite file and load the users; returns seconds spent."""
    db_path.unlink(missing_ok=True)
    env = config.environment(sut, db_path)
    started = time.monotonic()
    loaddata = ["loaddata", *map(str, config.stack.fixtures)]
    for step, args in (("migrate", ["migrate", "--noinput"]), ("loaddata", loaddata)):
        outcome = run_command(
            [str(sut.python), "manage.py", *args],
            timeout=MIGRATE_TIMEOUT,
            cwd=config.stack.project_dir,
            env=env,
            log_path=log_dir / f"{step}.log",
        )
        if not outcome.ok:
            reason = "timed out" if outcome.returncode is None else last_error_line(outcome.output)
            raise SetupError(f"manage.py {step} failed: {reason}")
    return time.monotonic() - started


def last_error_line(output: str) -> str:
    """The exception line of a traceback (with its root cause when chained), or the last line."""
    errors = [line.strip() for line in output.splitlines() if EXCEPTION_LINE.match(line.strip())]
    if errors:
        last, first = errors[-1][:300], errors[0][:200]
        return last if first == last else f"{last} (caused by {first})"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def django_warnings(log: str) -> list[str]:
    """Each distinct warning the server printed: "Category: message"."""
    seen: dict[str, None] = {}
    for line in log.splitlines():
        match = WARNING_LINE.search(line.strip())
        if match:
            seen.setdefault(f"{match['category']}: {match['message'].strip()}", None)
    return list(seen)


def logged_exceptions(log: str) -> list[str]:
    """Each distinct exception line of the tracebacks in a server log."""
    seen: dict[str, None] = {}
    for line in log.splitlines():
        if EXCEPTION_LINE.match(line.strip()):
            seen.setdefault(line.strip()[:300], None)
    return list(seen)


def _probe_http(base_url: str) -> int | None:
    try:
        return requests.get(base_url + LOGIN_PATH, timeout=2).status_code
    except requests.RequestException:
        return None


def _probe_websocket(base_url: str, path: str) -> tuple[int | None, str]:
    try:
        sock = websocket.create_connection(ws_url(base_url, path), timeout=5)
    except websocket.WebSocketBadStatusException as exc:
        return exc.status_code, f"WebSocket handshake answered {exc.status_code}"
    except (websocket.WebSocketException, OSError) as exc:
        return None, f"WebSocket handshake failed: {exc}"
    status = sock.getstatus()
    sock.close()
    return status, ""


@contextmanager
def running_server(
    config: ChatConfig, sut: SutEnv, server: str, db_path: Path, log_dir: Path
) -> Iterator[tuple[ServerStart, str]]:
    """Start ``server``, wait until it works or fails, yield (start record, base URL), stop it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    launch = config.stack.launch(server, sut.python, sut.bin_dir, port)
    env = config.environment(sut, db_path) | launch.env
    record = ServerStart(server)
    began = time.monotonic()
    process = ManagedProcess(launch.cmd, log_dir / f"server-{server}.log", cwd=config.stack.project_dir, env=env)
    try:
        _await_ready(process, record, base_url, config.stack.probe_socket_path(), began)
        yield record, base_url
    finally:
        process.stop()
        log = process.log_text()
        lines = log.splitlines()
        record.log_excerpt = "\n".join(lines[:LOG_EXCERPT_LINES])
        record.log_tail = "\n".join(lines[LOG_EXCERPT_LINES:][-LOG_TAIL_LINES:])
        record.warnings = django_warnings(log)
        record.exceptions = logged_exceptions(log)


def _await_ready(process: ManagedProcess, record: ServerStart, base_url: str, ws_path: str, began: float) -> None:
    deadline = began + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if not process.alive():
            record.error = f"exited with code {process.popen.returncode}: {last_error_line(process.log_text())}"
            return
        record.http_status = _probe_http(base_url)
        if record.http_status is not None:
            break
        time.sleep(0.2)
    else:
        record.error = f"no HTTP answer within {STARTUP_TIMEOUT:.0f} s: {last_error_line(process.log_text())}"
        return
    if record.http_status != 200:
        record.error = f"GET {LOGIN_PATH} answered {record.http_status}"
        return
    record.ws_status, problem = _probe_websocket(base_url, ws_path)
    if record.ws_status != 101:
        record.error = problem or f"WebSocket handshake answered {record.ws_status}"
        return
    record.started = True
    record.startup_seconds = round(time.monotonic() - began, 2)


def fresh_copy(template_db: Path, target: Path) -> Path:
    """Each server mode gets its own copy of the migrated database."""
    shutil.copyfile(template_db, target)
    return target
