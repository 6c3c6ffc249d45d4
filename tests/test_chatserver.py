"""The chat project's template database (reuse, rebuild, two runs at once) and
the start-up watch of a server mode, with stand-ins for manage.py and for the
server (no SUT venv needed)."""

from __future__ import annotations

import multiprocessing
import platform
import socketserver
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.stacks.base import ServerLaunch
from harness.sut import server as chatserver
from harness.sut.config import ChatConfig, ChatOptions
from harness.sut.database import template_database
from harness.sut.interpreters import Interpreter
from harness.sut.prepare import work_dir_lock
from harness.sut.redis_server import RedisEndpoint
from harness.sut.server import ChatServer
from harness.sut.venv import SutEnv
from tests.conftest import OkHandler

# Stands in for manage.py: each step appends its name to the database file, and
# to a journal of every step run (by any process) beside the project.
MANAGE_PY = (
    "import os, sys, time\n"
    "time.sleep(float(os.environ.get('FAKE_MIGRATE_SECONDS', '0')))\n"
    "open(os.environ['CHAT_DB'], 'a').write(sys.argv[1] + '\\n')\n"
    "open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'journal'), 'a').write(sys.argv[1] + '\\n')\n"
)


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
    stack = FakeStack(project, (fixture,))
    config = ChatConfig(stack, ChatOptions(fast_password_hasher=False), redis, key_prefix="t")  # type: ignore[arg-type]
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    return config, sut, work_dir


def test_database_is_migrated_then_reused_while_its_recipe_holds(setup: tuple[ChatConfig, SutEnv, Path]) -> None:
    config, sut, work_dir = setup
    db, seconds, reused = template_database(config, sut, work_dir, work_dir)
    assert not reused and db.read_text() == "migrate\nloaddata\n"
    assert template_database(config, sut, work_dir, work_dir) == (db, 0.0, True)
    assert db.read_text() == "migrate\nloaddata\n"  # untouched
    assert sorted(p.name for p in work_dir.iterdir() if "template" in p.name) == [db.name]  # no temp file left


@pytest.mark.parametrize("change", ["fixture", "source", "venv", "settings"])
def test_database_is_rebuilt_when_anything_it_depends_on_changes(
    setup: tuple[ChatConfig, SutEnv, Path], change: str
) -> None:
    config, sut, work_dir = setup
    first, _, _ = template_database(config, sut, work_dir, work_dir)
    if change == "fixture":
        config.stack.fixtures[0].write_text('[{"model": "auth.user"}]')
    elif change == "source":
        (config.stack.project_dir / "models.py").write_text("# a new field\n")
    elif change == "venv":
        sut = SutEnv(sut.venv, sut.interpreter, {}, reused=True, recipe={"requirements": ["Django<5.3"]})
    elif change == "settings":
        config = ChatConfig(config.stack, ChatOptions("variant.settings", (), False), config.redis, "t")
    db, _, reused = template_database(config, sut, work_dir, work_dir)
    assert not reused and db != first and db.read_text() == "migrate\nloaddata\n"  # its own file, migrated once
    assert first.read_text() == "migrate\nloaddata\n"  # a run still using the other recipe keeps its template


def _prepare_in_another_process(config: ChatConfig, sut: SutEnv, work_dir: Path, out: multiprocessing.Queue) -> None:
    with work_dir_lock(work_dir):
        out.put(template_database(config, sut, work_dir, work_dir)[2])


def test_two_runs_of_one_env_that_start_together_migrate_once(
    setup: tuple[ChatConfig, SutEnv, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two `harness serve` of one env at once raced on the template ("table already exists")."""
    config, sut, work_dir = setup
    monkeypatch.setenv("FAKE_MIGRATE_SECONDS", "0.5")  # both start while the first one migrates
    answers: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
    runs = [
        multiprocessing.get_context("fork").Process(
            target=_prepare_in_another_process, args=(config, sut, work_dir, answers)
        )
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    assert [run.exitcode for run in runs] == [0, 0]
    assert sorted(answers.get(timeout=5) for _ in runs) == [False, True]  # one built it, the other reused it
    assert (config.stack.project_dir / "journal").read_text() == "migrate\nloaddata\n"


def test_a_server_that_dies_at_start_up_says_how(setup: tuple[ChatConfig, SutEnv, Path]) -> None:
    config, sut, work_dir = setup
    db = work_dir / "chat.sqlite3"
    config.stack.server_cmd = ("bash", "-c", "echo 'RuntimeError: no such app' >&2; exit 3")  # type: ignore[attr-defined]
    server = ChatServer(config, sut, "fake", db, db.parent)
    try:
        record = server.await_ready()
    finally:
        server.stop()
    assert not record.started and record.error == "exited with code 3: RuntimeError: no such app"


def test_a_server_stopped_before_it_answers_is_not_started(setup: tuple[ChatConfig, SutEnv, Path]) -> None:
    config, sut, work_dir = setup
    db = work_dir / "chat.sqlite3"
    server = ChatServer(config, sut, "fake", db, db.parent)  # `sleep 30`: never answers
    record = server.stop()
    assert not record.started and record.error is not None
    assert record.error.startswith("stopped before it answered")
    assert not server.process.alive()


def test_a_harness_error_in_the_watch_thread_is_reported_not_lost(
    setup: tuple[ChatConfig, SutEnv, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen in a benchmark: the probe's proxy look-up raced pytest's os.environ edits."""
    config, sut, work_dir = setup
    db = work_dir / "chat.sqlite3"

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
    with socketserver.TCPServer(("127.0.0.1", 0), OkHandler) as httpd:
        threading.Thread(target=httpd.handle_request, daemon=True).start()
        assert chatserver._probe_http(f"http://127.0.0.1:{httpd.server_address[1]}") == 200
