"""Run one server mode of the chat project and decide whether "the web server
works": process up, a page answers 200, a WebSocket handshake answers 101,
within a bounded start-up time.  The readiness probe lives beside the launch.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
import websocket

from harness.clients import LOGIN_PATH, loopback_session, ws_url
from harness.sut.config import ChatConfig
from harness.sut.logs import django_warnings, last_error_line, logged_exceptions
from harness.sut.ports import free_port
from harness.sut.procs import ManagedProcess
from harness.sut.serverlog import log_findings, log_size, settle_log
from harness.sut.venv import SutEnv

STARTUP_TIMEOUT = 60.0
LOG_EXCERPT_LINES = 40
LOG_TAIL_LINES = 25


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
    log_path: str = ""
    stop_offset: int | None = None  # the log's size when the harness asked the server to stop
    # Its incidents by exception and phase (run, shutdown, provoked): harness/sut/serverlog.py
    log_findings: list[dict[str, object]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _probe_http(base_url: str) -> int | None:
    with loopback_session() as session:  # this runs in a watch thread
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
        self,
        config: ChatConfig,
        sut: SutEnv,
        mode: str,
        db_path: Path,
        log_dir: Path,
        key_suffix: str = "",
        log_name: str = "",
        keep_dir: Path | None = None,
    ) -> None:
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        launch = config.stack.launch(mode, sut.python, sut.bin_dir, port)
        env = config.environment(sut, db_path, key_suffix) | launch.env
        self.record = ServerStart(mode)
        self._stopping = threading.Event()
        began = time.monotonic()
        # One log per server run: a re-run, or a suite run of the same env, must
        # not write into a log that a stopping server still writes to.  Two runs of
        # one env at once share its logs folder: a server logs into its run's own
        # folder (log_dir), copied to keep_dir once stopped.
        self.run_name = f"{log_name or mode}{key_suffix}"  # log_name: one of several processes
        name = f"server-{self.run_name}.log"
        self.log_path = log_dir / name
        self._kept = keep_dir / name if keep_dir is not None else None
        self.record.log_path = str(self._kept or self.log_path)
        # (check, start, end) byte ranges of the log written while a check provoked errors on purpose
        self.provoked: list[tuple[str, int, int]] = []
        self.process = ManagedProcess(launch.cmd, self.log_path, cwd=config.stack.project_dir, env=env)
        probe_path = config.stack.probe_socket_path()
        self._watch = threading.Thread(
            target=self._watch_start_up, args=(probe_path, began), name=f"ready-{mode}", daemon=True
        )
        self._watch.start()

    def _watch_start_up(self, ws_path: str, began: float) -> None:
        """The watch thread: a harness error in it must not pass for a verdict on the server."""
        try:
            _await_ready(self.process, self.record, self.base_url, ws_path, began, self._stopping)
        except Exception as exc:
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
        # What the harness's last closes made the server log belongs to the run: let it settle.
        settle_log(self.log_path)
        self.record.stop_offset = log_size(self.log_path)
        self.process.stop()
        self._watch.join(10)
        log = self.process.log_text()
        data = self.log_path.read_bytes() if self.log_path.exists() else b""
        findings = log_findings(data, self.record.stop_offset, self.provoked)
        self.record.log_findings = [finding.as_dict() for finding in findings]
        if self._kept is not None:
            with contextlib.suppress(OSError):
                shutil.copyfile(self.log_path, self._kept)
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
