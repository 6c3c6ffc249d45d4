"""Idle sockets held cheaply: one asyncio task per socket, no thread.

Each socket is a real WebSocket client (handshake with the logged-in user's
cookies, masked frames, pings answered) that only reads: it notes when a
frame carrying a given marker arrives, which times one broadcast's fan-out to
every socket.  Pure asyncio (standard library), so 10 000 sockets cost a few
tens of MiB in the driver.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

HANDSHAKE_TIMEOUT = 10.0
MAX_FRAME = 1 << 20


class HandshakeFailed(Exception):
    """The server refused or dropped a socket: the first one ends the ramp."""


@dataclass
class IdleSocket:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    seen: dict[bytes, float] = field(default_factory=dict)  # marker -> time.monotonic() of arrival
    closed: str = ""
    task: asyncio.Task | None = None


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 5.3: every client frame is masked)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def _read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    b0, b1 = await reader.readexactly(2)
    size = b1 & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes")
    return b0 & 0x0F, await reader.readexactly(size)  # server frames are not masked


async def open_socket(ws_url: str, cookie: str, markers: list[bytes]) -> tuple[IdleSocket, float]:
    """Connect and hand-shake; returns the socket (reading in its own task) and the handshake ms."""
    url = urlsplit(ws_url)
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(url.hostname, url.port), HANDSHAKE_TIMEOUT)
    except TimeoutError as exc:
        raise HandshakeFailed(f"connect: no answer within {HANDSHAKE_TIMEOUT:g} s") from exc
    except OSError as exc:
        raise HandshakeFailed(f"connect failed: {type(exc).__name__}: {exc}") from exc
    key = base64.b64encode(os.urandom(16)).decode()
    target = url.path + (f"?{url.query}" if url.query else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://{url.hostname}:{url.port}\r\nCookie: {cookie}\r\n\r\n"
    )
    try:
        writer.write(request.encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HANDSHAKE_TIMEOUT)
    except TimeoutError as exc:
        writer.close()
        raise HandshakeFailed(f"handshake: no answer within {HANDSHAKE_TIMEOUT:g} s") from exc
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        writer.close()
        raise HandshakeFailed(f"handshake failed: {type(exc).__name__}: {exc}") from exc
    status = head.split(b"\r\n", 1)[0].decode("latin-1")
    if " 101 " not in status + " ":
        writer.close()
        raise HandshakeFailed(f"handshake answered {status!r}")
    ms = (time.perf_counter() - started) * 1000.0
    sock = IdleSocket(reader, writer)
    sock.task = asyncio.create_task(_read_forever(sock, markers))
    return sock, ms


async def _read_forever(sock: IdleSocket, markers: list[bytes]) -> None:
    """Answer pings, note markers, stop at a close frame or a lost connection."""
    try:
        while True:
            opcode, payload = await _read_frame(sock.reader)
            if opcode == 0x9:
                sock.writer.write(_frame(0xA, payload))
            elif opcode == 0x8:
                sock.closed = "closed by server"
                return
            elif markers and opcode in (0x1, 0x2):
                for marker in markers:
                    if marker in payload and marker not in sock.seen:
                        sock.seen[marker] = time.monotonic()
    except (asyncio.IncompleteReadError, OSError, ValueError) as exc:
        sock.closed = f"connection lost: {type(exc).__name__}"


async def close_all(sockets: list[IdleSocket]) -> None:
    for sock in sockets:
        if sock.task is not None:
            sock.task.cancel()
        sock.writer.transport.abort()  # no close handshake: 10 000 of them would take long
    await asyncio.sleep(0)
