"""The protocol probes of the bad-frame checks against a stand-in WebSocket server
that gets each one wrong (no pong, no 1007, fragments echoed one by one): each probe
must say ✗.  No real server gets these wrong in a way a settings file can reach
(daphne, uvicorn and uWSGI answer pings themselves), so they are shown able to fail here."""

from __future__ import annotations

import base64
import hashlib
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator

import pytest

from harness.run import badinput
from harness.run.probes import EchoPath

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _read_exact(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data


class SloppyServer(socketserver.BaseRequestHandler):
    """Accepts any handshake; echoes every data frame (fragments too, each as a whole
    message), ignores pings, never validates UTF-8."""

    def handle(self) -> None:
        conn: socket.socket = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(1024)
        key = next(
            line.split(b":", 1)[1].strip()
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key")
        )
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        try:
            while True:
                first, second = _read_exact(conn, 2)
                opcode, length = first & 0x0F, second & 0x7F
                if length == 126:
                    length = struct.unpack("!H", _read_exact(conn, 2))[0]
                elif length == 127:
                    length = struct.unpack("!Q", _read_exact(conn, 8))[0]
                mask = _read_exact(conn, 4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(_read_exact(conn, length)))
                if opcode == 0x8:
                    return
                if opcode in (0x0, 0x1, 0x2) and len(payload) < 126:
                    conn.sendall(bytes([0x81, len(payload)]) + payload)
        except (ConnectionError, OSError):
            return


@pytest.fixture(scope="module")
def sloppy_url() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), SloppyServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("ping answered", "expected a pong"),
        ("invalid UTF-8 closes 1007", "expected a 1007 close"),
        ("fragmented message reassembled", "expected exactly one reassembled copy, nothing else"),
    ],
)
def test_a_probe_says_so_when_the_server_gets_it_wrong(sloppy_url: str, name: str, says: str) -> None:
    echo = EchoPath("/ws/probe-{n}", json_commands=False)
    behaved, seen = badinput.run_probe(sloppy_url, "", echo, badinput.probes(echo, str)[name], ())
    assert not behaved and says in seen, seen
