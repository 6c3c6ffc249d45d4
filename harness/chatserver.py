"""Run a chat server project in a SUT venv: prepare its database, start one
server mode, and decide whether "the web server works" (process up, a page
answers 200, a WebSocket handshake answers 101) within a bounded start-up time.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
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
from harness.results import write_atomic
from harness.stacks.base import ROOT, Stack
from harness.sutenv import SutEnv

STARTUP_TIMEOUT = 60.0
MIGRATE_TIMEOUT = 180.0
LOG_EXCERPT_LINES = 40
LOG_TAIL_LINES = 25

# The last line of a traceback: "module.SomeError: message".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Configured|Exit): .+")
# "path.py:12: RemovedInDjango110Warning: message" as printed by the warnings module.
WARNING_LINE = re.compile(r"(?P<where>\S+:\d+): (?P<category>\w*Warning): (?P<message>.+)$")


# Settings overlay putting Django's MD5 hasher first (see its docstring).
FAST_LOGIN_DIR = ROOT / "chatservers" / "fast_login"
FAST_LOGIN_SETTINGS = "harness_fast_login_settings"


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
    fast_password_hasher: bool = False  # Django's MD5 hasher first (chatservers/fast_login)
    bytecode_dir: Path | None = None  # this env's own bytecode cache (Python 3.8+)

    def environment(self, sut: SutEnv, db_path: Path, key_suffix: str = "") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DJANGO_", "CHAT_"))}
        path = [str(self.stack.project_dir), *map(str, self.extra_pythonpath)]
        settings = self.settings_module
        if self.fast_password_hasher:
            env["CHAT_BASE_SETTINGS"] = settings  # the overlay imports the real settings from here
            settings, path = FAST_LOGIN_SETTINGS, [*path, str(FAST_LOGIN_DIR)]
        # Parallel envs share the project folder: leave it read-only.  From 3.8 the
        # bytecode goes to the env's own folder instead, so warm starts skip compiling.
        if self.bytecode_dir is not None and sut.interpreter.version_tuple >= (3, 8):
            env["PYTHONPYCACHEPREFIX"] = str(self.bytecode_dir)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(
            PATH=f"{sut.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(sut.venv),
            PYTHONPATH=os.pathsep.join(path),
            PYTHONWARNINGS="default",  # show Django's deprecation warnings in the log
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE=settings,
            CHAT_DB=str(db_path),
            CHAT_REDIS_HOST=self.redis.host,
            CHAT_REDIS_PORT=str(self.redis.port),
            CHAT_REDIS_DB=str(self.redis.db),
            CHAT_REDIS_PREFIX=self.key_prefix + key_suffix,
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
    harness_error: bool = False  # the error is the harness's own: no verdict on the server
    http_status: int | None = None
    ws_status: int | None = None

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def prepare_database(
    config: ChatConfig, sut: SutEnv, db_path: Path, log_dir: Path, *, reuse: bool = False
) -> tuple[float, bool]:
    """Migrate a fresh SQLite file and load the fixtures: (seconds spent, reused).

    With ``reuse``, a database left by an earlier run from the same recipe (venv,
    settings, project sources, fixtures) is kept as it is.
    """
    recipe = json.dumps(_database_recipe(config, sut), sort_keys=True)
    marker = db_path.with_name(db_path.name + ".recipe")
    if reuse and db_path.is_file() and marker.is_file() and marker.read_text() == recipe:
        return 0.0, True
    marker.unlink(missing_ok=True)
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
    write_atomic(marker, recipe)
    return time.monotonic() - started, False


def _database_recipe(config: ChatConfig, sut: SutEnv) -> dict[str, object]:
    """Everything a migrated database depends on."""
    digest = hashlib.sha256()
    sources = [config.stack.project_dir, *config.extra_pythonpath, *config.stack.fixtures]
    for source in sources:
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.suffix in (".py", ".json") and path.is_file():
                digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return {
        "venv": sut.recipe,
        "settings": config.settings_module,
        "fast_password_hasher": config.fast_password_hasher,
        "sources": digest.hexdigest(),
    }


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
    # trust_env off: no proxy look-up for a loopback probe.  That look-up iterates
    # os.environ, which the in-process pytest run changes meanwhile (PYTEST_CURRENT_TEST)
    # on the main thread: "KeyError" from this watch thread.
    with requests.Session() as session:
        session.trust_env = False
        try:
            return session.get(base_url + LOGIN_PATH, timeout=2).status_code
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


class ChatServer:
    """One server mode, spawned at once and watched until it works or fails.

    Readiness is probed in a background thread from the moment of the spawn, so
    a server started ahead of its turn records its true start-up time.
    """

    def __init__(
        self, config: ChatConfig, sut: SutEnv, mode: str, db_path: Path, log_dir: Path, key_suffix: str = ""
    ) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        launch = config.stack.launch(mode, sut.python, sut.bin_dir, port)
        env = config.environment(sut, db_path, key_suffix) | launch.env
        self.record = ServerStart(mode)
        self._stopping = threading.Event()
        began = time.monotonic()
        self.process = ManagedProcess(launch.cmd, log_dir / f"server-{mode}.log", cwd=config.stack.project_dir, env=env)
        probe_path = config.stack.probe_socket_path()
        self._watch = threading.Thread(
            target=self._watch_start_up, args=(probe_path, began), name=f"ready-{mode}", daemon=True
        )
        self._watch.start()

    def _watch_start_up(self, ws_path: str, began: float) -> None:
        """The watch thread: a harness error in it must not pass for a verdict on the server."""
        try:
            _await_ready(self.process, self.record, self.base_url, ws_path, began, self._stopping)
        except Exception as exc:  # noqa: BLE001 - reported, as the results file's error
            self.record.started = False
            self.record.harness_error = True
            self.record.error = f"harness error while watching the start-up: {type(exc).__name__}: {exc}"

    def await_ready(self) -> ServerStart:
        """Block until the start-up verdict (at most STARTUP_TIMEOUT after the spawn)."""
        self._watch.join(STARTUP_TIMEOUT + 15)  # the probes themselves are bounded too
        if self._watch.is_alive():
            self.record.error = f"no start-up verdict within {STARTUP_TIMEOUT:.0f} s"
            self.record.started = False
        return self.record

    def stop(self) -> ServerStart:
        """Stop the server (INT, TERM, KILL) and keep what its log shows."""
        self._stopping.set()
        self.process.stop()
        self._watch.join(10)
        log = self.process.log_text()
        lines = log.splitlines()
        self.record.log_excerpt = "\n".join(lines[:LOG_EXCERPT_LINES])
        self.record.log_tail = "\n".join(lines[LOG_EXCERPT_LINES:][-LOG_TAIL_LINES:])
        self.record.warnings = django_warnings(log)
        self.record.exceptions = logged_exceptions(log)
        return self.record


@contextmanager
def running_server(
    config: ChatConfig, sut: SutEnv, server: str, db_path: Path, log_dir: Path
) -> Iterator[tuple[ServerStart, str]]:
    """Start ``server``, wait until it works or fails, yield (start record, base URL), stop it."""
    chat_server = ChatServer(config, sut, server, db_path, log_dir)
    try:
        yield chat_server.await_ready(), chat_server.base_url
    finally:
        chat_server.stop()


def _await_ready(
    process: ManagedProcess,
    record: ServerStart,
    base_url: str,
    ws_path: str,
    began: float,
    stopping: threading.Event,
) -> None:
    deadline = began + STARTUP_TIMEOUT
    while time.monotonic() < deadline and not stopping.is_set():
        if not process.alive():
            record.error = f"exited with code {process.popen.returncode}: {last_error_line(process.log_text())}"
            return
        record.http_status = _probe_http(base_url)
        if record.http_status is not None:
            break
        stopping.wait(0.1)
    else:
        why = "stopped before it answered" if stopping.is_set() else f"no HTTP answer within {STARTUP_TIMEOUT:.0f} s"
        record.error = f"{why}: {last_error_line(process.log_text())}"
        return
    if record.http_status != 200:
        record.error = f"GET {LOGIN_PATH} answered {record.http_status}"
        return
    record.ws_status, problem = _probe_websocket(base_url, ws_path)
    if record.ws_status != 101:
        record.error = problem or f"WebSocket handshake answered {record.ws_status}"
        return
    record.startup_seconds = round(time.monotonic() - began, 2)
    record.started = True


def fresh_copy(template_db: Path, target: Path) -> Path:
    """Each server mode gets its own copy of the migrated database."""
    shutil.copyfile(template_db, target)
    return target
