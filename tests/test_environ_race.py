"""The in-process pytest run sets and deletes PYTEST_CURRENT_TEST on its own thread while
checks' threads (the logout watch, the idle sockets' opener, the browser's start) make HTTP
requests, and requests' proxy look-up iterated os.environ: a full matrix run saw "harness
error: KeyError: 'PYTEST_CURRENT_TEST'". (Servers are started on the main thread, with
pytest, so their environment's copy never races.)"""

from __future__ import annotations

import http.server
import threading

import pytest
import requests.sessions

from harness.clients import ChatClient, loopback_session
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
