"""Variants without a SUT: the chat server's environment, the ws4redis settings
they switch, and where the report puts a variant env."""

from __future__ import annotations

import copy
import dataclasses
import platform
import runpy
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from harness.matrix.envs import parse_env_name
from harness.paths import CHATSERVERS
from harness.report.overview import grids, render_grids
from harness.results.files import load_all
from harness.stacks import stack_for
from harness.sut.config import ChatConfig, ChatOptions
from harness.sut.interpreters import Interpreter
from harness.sut.redis_server import RedisEndpoint
from harness.sut.venv import SutEnv

WS4REDIS_SETTINGS = CHATSERVERS / "ws4redis" / "chatserver" / "settings.py"
DATA = Path(__file__).parent / "data" / "results"


def _config(extra: dict[str, str]) -> tuple[ChatConfig, SutEnv]:
    sut = SutEnv(Path("/venv"), Interpreter(Path(sys.executable), platform.python_version()), {}, True, {})
    redis = RedisEndpoint("embedded", "7", "127.0.0.1", 6390, 2)
    config = ChatConfig(stack_for("ws4redis"), ChatOptions(), redis, key_prefix="h-x", extra_environment=extra)
    return config, sut


def test_the_variants_chat_environment_reaches_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_env_name("py27-django18-ws4redis04-redissessions")
    config, sut = _config(spec.chat_environment())
    env = config.environment(sut, Path("/db"), key_suffix="-m1")
    assert env["CHAT_SESSIONS"] == "redis" and env["CHAT_REDIS_PREFIX"] == "h-x-m1"


def test_a_default_env_gets_no_stray_chat_sessions_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_SESSIONS", "redis")
    config, sut = _config(parse_env_name("py27-django18-ws4redis04").chat_environment())
    assert "CHAT_SESSIONS" not in config.environment(sut, Path("/db"))


def _ws4redis_settings(monkeypatch: pytest.MonkeyPatch, **environ: str) -> dict[str, Any]:
    """The chat server's settings as Python 2.7 to 3.13 would read them (Django stood in for)."""
    for key in ("CHAT_SESSIONS", "CHAT_REDIS_HOST", "CHAT_REDIS_PORT", "CHAT_REDIS_DB", "CHAT_REDIS_PREFIX"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setitem(sys.modules, "django", types.SimpleNamespace(VERSION=(1, 8, 19, "final", 0)))
    return runpy.run_path(str(WS4REDIS_SETTINGS))


def test_chat_server_keeps_signed_cookies_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _ws4redis_settings(monkeypatch)
    assert settings["SESSION_ENGINE"] == "django.contrib.sessions.backends.signed_cookies"
    assert "SESSION_REDIS" not in settings


def test_chat_sessions_redis_keeps_sessions_in_this_runs_redis_and_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"CHAT_REDIS_HOST": "127.0.0.1", "CHAT_REDIS_PORT": "6390", "CHAT_REDIS_DB": "2"}
    settings = _ws4redis_settings(monkeypatch, CHAT_SESSIONS="redis", CHAT_REDIS_PREFIX="h-x-m0", **environ)
    assert settings["SESSION_ENGINE"] == "redis_sessions.session"
    assert settings["SESSION_REDIS"] == {
        "host": "127.0.0.1",
        "port": 6390,
        "db": 2,
        "prefix": "h-x-m0:django-session",
        "socket_timeout": 5,
    }
    assert settings["WS4REDIS_CONNECTION"] == {"host": "127.0.0.1", "port": 6390, "db": 2}


def test_an_unknown_chat_sessions_value_stops_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="CHAT_SESSIONS must be 'redis' or 'signed_cookies', not 'database'"):
        _ws4redis_settings(monkeypatch, CHAT_SESSIONS="database")


def test_a_variant_env_is_listed_under_its_grid_and_leaves_the_default_cell_alone() -> None:
    results = load_all(DATA)
    default = next(r for r in results if r["env"] == "py27-django18-ws4redis04")
    assert default["status"] == "known"
    variant = copy.deepcopy(default) | {"env": "py27-django18-ws4redis04-redissessions", "status": "fail", "modes": []}
    grid = next(g for g in grids([*results, variant]) if g.title == "django-websocket-redis 0.4")
    assert dataclasses.astuple(dict(grid.rows)[(1, 8)][grid.pythons.index((2, 7))]) == (
        "✗ runserver (known) ✓ uwsgi",
        "py27-django18-ws4redis04",
    )
    assert [(c.symbol, c.env) for c in grid.variants] == [("✗", "py27-django18-ws4redis04-redissessions")]
    assert "py27-django18-ws4redis04-wsaccel" in grid.missing  # in the matrix, no results file
    rst = "\n".join(render_grids([grid]))
    assert "Variants: `✗ py27-django18-ws4redis04-redissessions <py27-django18-ws4redis04-redissessions_>`__." in rst
