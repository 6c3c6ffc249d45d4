"""The in-process pytest run sets and deletes PYTEST_CURRENT_TEST on its own thread while
checks' threads make requests and start servers. Reading os.environ from those threads
raced with it: a full matrix run saw "harness error: KeyError: 'PYTEST_CURRENT_TEST'"."""

from __future__ import annotations

import http.server
import os
import threading
from collections.abc import Iterator, Mapping

import pytest
import requests.sessions

from harness.clients import ChatClient, loopback_session
from harness.sut import config
from tests.conftest import OkHandler


def test_loopback_sessions_never_look_up_proxies_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    looked_up: list[str] = []

    def get_environ_proxies(url: str, no_proxy: object = None) -> dict[str, str]:
        looked_up.append(url)
        return {}

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", get_environ_proxies)
    server = http.server.HTTPServer(("127.0.0.1", 0), OkHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        with loopback_session() as session:
            assert session.get(url, timeout=5).status_code == 200
        assert looked_up == []
        with requests.Session() as plain:  # what the clients used: it reads the environment
            plain.get(url, timeout=5)
        assert looked_up == [url]
    finally:
        server.shutdown()
        server.server_close()
    assert ChatClient("http://127.0.0.1:1", "admin").http.trust_env is False


class _VanishingKey(Mapping[str, str]):
    """An environment from which PYTEST_CURRENT_TEST vanishes once, between listing and reading."""

    def __init__(self) -> None:
        self.data = {"HOME": "/root", "PYTEST_CURRENT_TEST": "t (call)"}
        self.reads = 0

    def __getitem__(self, key: str) -> str:
        self.reads += 1
        if key == "PYTEST_CURRENT_TEST" and self.reads <= 2:
            raise KeyError(key)
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.data))

    def __len__(self) -> int:
        return len(self.data)


def test_the_servers_environment_is_copied_again_when_a_key_vanishes() -> None:
    with pytest.raises(KeyError):
        dict(_VanishingKey())  # what a plain copy does in that moment
    assert config.environ_copy(_VanishingKey()) == {"HOME": "/root", "PYTEST_CURRENT_TEST": "t (call)"}
    assert config.environ_copy() == dict(os.environ)
