"""The chat project's database reuse and the start-up watch of a server mode,
with stand-ins for manage.py and for the server (no SUT venv needed)."""

from __future__ import annotations

import http.server
import platform
import socketserver
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness import chatserver
from harness.chatserver import ChatConfig, ChatServer, prepare_database
from harness.interpreters import Interpreter
from harness.redis_server import RedisEndpoint
from harness.stacks.base import ServerLaunch
from harness.sutenv import SutEnv

# Stands in for manage.py: each step appends its name to the database file.
MANAGE_PY = "import os, sys\nopen(os.environ['CHAT_DB'], 'a').write(sys.argv[1] + '\\n')\n"


@dataclass
class FakeStack:
    project_dir: Path
    fixtures: tuple[Path, ...]
    server_cmd: tuple[str, ...] = ("sleep", "30")
    family = "fake"

    def launch(self, mode: str, python: Path, bin_dir: Path, port: int) -> ServerLaunch:
        return ServerLaunch(mode, list(self.server_cmd), {})

    def probe_socket_path(self) -> str:
        return "/ws/probe/"


@pytest.fixture
def setup(tmp_path: Path) -> tuple[ChatConfig, SutEnv, Path]:
    project = tmp_path / "project"
    project.mkdir()
    (project / "manage.py").write_text(MANAGE_PY)
    fixture = tmp_path / "users.json"
    fixture.write_text("[]")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    interpreter = Interpreter(Path(sys.executable), platform.python_version())
    sut = SutEnv(venv, interpreter, {}, reused=True, recipe={"requirements": ["Django<4.3"]})
    redis = RedisEndpoint("embedded", "7", "127.0.0.1", 1, 0)
    config = ChatConfig(FakeStack(project, (fixture,)), "chatserver.settings", redis, key_prefix="t")  # type: ignore[arg-type]
    return config, sut, tmp_path / "template.sqlite3"


def test_database_is_migrated_then_reused_while_its_recipe_holds(setup: tuple[ChatConfig, SutEnv, Path]) -> None:
    config, sut, db = setup
    seconds, reused = prepare_database(config, sut, db, db.parent, reuse=True)
    assert not reused and db.read_text() == "migrate\nloaddata\n"
    assert prepare_database(config, sut, db, db.parent, reuse=True) == (0.0, True)
    assert db.read_text() == "migrate\nloaddata\n"  # untouched


@pytest.mark.parametrize("change", ["fixture", "source", "venv", "no reuse"])
def test_database_is_rebuilt_when_anything_it_depends_on_changes(
    setup: tuple[ChatConfig, SutEnv, Path], change: str
) -> None:
    config, sut, db = setup
    prepare_database(config, sut, db, db.parent, reuse=True)
    if change == "fixture":
        config.stack.fixtures[0].write_text('[{"model": "auth.user"}]')
    elif change == "source":
        (config.stack.project_dir / "models.py").write_text("# a new field\n")
    elif change == "venv":
        sut = SutEnv(sut.venv, sut.interpreter, {}, reused=True, recipe={"requirements": ["Django<5.3"]})
    _, reused = prepare_database(config, sut, db, db.parent, reuse=change != "no reuse")
    assert not reused and db.read_text() == "migrate\nloaddata\n"  # a fresh file, migrated once


def test_a_server_that_dies_at_start_up_says_how(setup: tuple[ChatConfig, SutEnv, Path]) -> None:
    config, sut, db = setup
    config.stack.server_cmd = ("bash", "-c", "echo 'RuntimeError: no such app' >&2; exit 3")  # type: ignore[attr-defined]
    server = ChatServer(config, sut, "fake", db, db.parent)
    try:
        record = server.await_ready()
    finally:
        server.stop()
    assert not record.started and record.error == "exited with code 3: RuntimeError: no such app"


def test_a_server_stopped_before_it_answers_is_not_started(setup: tuple[ChatConfig, SutEnv, Path]) -> None:
    config, sut, db = setup
    server = ChatServer(config, sut, "fake", db, db.parent)  # `sleep 30`: never answers
    record = server.stop()
    assert not record.started and record.error is not None
    assert record.error.startswith("stopped before it answered")
    assert not server.process.alive()


def test_a_harness_error_in_the_watch_thread_is_reported_not_lost(
    setup: tuple[ChatConfig, SutEnv, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen in a benchmark: the probe's proxy look-up raced pytest's os.environ edits."""
    config, sut, db = setup

    def broken_probe(base_url: str) -> int | None:
        raise KeyError("PYTEST_CURRENT_TEST")

    monkeypatch.setattr(chatserver, "_probe_http", broken_probe)
    server = ChatServer(config, sut, "fake", db, db.parent)
    try:
        record = server.await_ready()
    finally:
        server.stop()
    assert not record.started
    assert record.error == "harness error while watching the start-up: KeyError: 'PYTEST_CURRENT_TEST'"
    assert record.harness_error


def test_the_http_probe_reads_no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # a proxy that would refuse
    monkeypatch.setenv("no_proxy", "")
    with socketserver.TCPServer(("127.0.0.1", 0), _Ok) as httpd:
        threading.Thread(target=httpd.handle_request, daemon=True).start()
        assert chatserver._probe_http(f"http://127.0.0.1:{httpd.server_address[1]}") == 200


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the handler's API
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass
