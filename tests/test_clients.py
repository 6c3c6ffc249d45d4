"""ChatClient's HTTP side: one request per connection, as its ``Connection: close`` says."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from harness.clients import LOGIN_PATH, ChatClient

PAGE = b"<form>login</form>"


class KeepOpenServer:
    """Answers HTTP/1.1 without "Connection: close" and never hangs up first, like
    uWSGI's HTTP router in the window before it closes; records each connection's requests."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.requests_per_connection: list[list[str]] = []
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            seen: list[str] = []
            self.requests_per_connection.append(seen)
            thread = threading.Thread(target=self._serve, args=(conn, seen), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket, seen: list[str]) -> None:
        conn.settimeout(5)
        buffer = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buffer:
                    try:
                        chunk = conn.recv(4096)
                    except OSError:
                        return
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                length = next(
                    (int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length:")), 0
                )
                while len(buffer) < length:
                    buffer += conn.recv(4096)
                buffer = buffer[length:]
                seen.append(lines[0].split(" ")[0])
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE)
                )

    def close(self) -> None:
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=5)


@pytest.fixture
def server() -> Iterator[KeepOpenServer]:
    srv = KeepOpenServer()
    try:
        yield srv
    finally:
        srv.close()


def test_each_request_gets_its_own_connection(server: KeepOpenServer) -> None:
    client = ChatClient(f"http://127.0.0.1:{server.port}", "john")
    try:
        url = client.base_url + LOGIN_PATH
        assert client.http.get(url, timeout=5).text == PAGE.decode()
        assert client.http.post(url, data={"a": "b"}, timeout=5).status_code == 200
        assert client.post("/userchat/", {"message": "hi"}).status_code == 200
    finally:
        client.close()
    server.close()
    assert server.requests_per_connection == [["GET"], ["POST"], ["POST"]]
