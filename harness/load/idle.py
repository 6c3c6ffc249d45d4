"""Idle sockets held cheaply: one asyncio task per socket, no thread.

Each socket is a real WebSocket client (websockets' asyncio client: the
logged-in user's cookies, pings answered by the library) that only reads: it
notes when a frame carrying a given marker arrives, which times one
broadcast's fan-out to every socket.  No keepalive pings of its own and no
compression, as a quiet browser tab.  Measured: 3 000 sockets on uvicorn+pubsub
took the driver to 239 MB of RSS, about 45 KiB a socket (10 000: about 0.5 GB).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Origin

HANDSHAKE_TIMEOUT = 10.0
MAX_FRAME = 1 << 20


class HandshakeFailed(Exception):
    """The server refused or dropped a socket: the first one ends the ramp."""


@dataclass
class IdleSocket:
    connection: ClientConnection
    seen: dict[bytes, float] = field(default_factory=dict)  # marker -> time.monotonic() of arrival
    closed: str = ""
    task: asyncio.Task | None = None


async def open_socket(ws_url: str, cookie: str, markers: list[bytes]) -> tuple[IdleSocket, float]:
    """Connect and hand-shake; returns the socket (reading in its own task) and the handshake ms."""
    url = urlsplit(ws_url)
    started = time.perf_counter()
    try:
        connection = await connect(
            ws_url,
            additional_headers={"Cookie": cookie},
            origin=Origin(f"http://{url.hostname}:{url.port}"),
            open_timeout=HANDSHAKE_TIMEOUT,
            ping_interval=None,  # quiet, as a browser tab; the server's pings are still answered
            compression=None,
            max_size=MAX_FRAME,
        )
    except TimeoutError as exc:
        raise HandshakeFailed(f"handshake: no answer within {HANDSHAKE_TIMEOUT:g} s") from exc
    except InvalidStatus as exc:
        raise HandshakeFailed(f"handshake answered {exc.response.status_code} {exc.response.reason_phrase}") from exc
    except (InvalidHandshake, OSError) as exc:
        raise HandshakeFailed(f"handshake failed: {type(exc).__name__}: {exc}") from exc
    ms = (time.perf_counter() - started) * 1000.0
    sock = IdleSocket(connection)
    sock.task = asyncio.create_task(_read_forever(sock, markers))
    return sock, ms


async def _read_forever(sock: IdleSocket, markers: list[bytes]) -> None:
    """Note markers; stop at the server's close or a lost connection."""
    try:
        async for message in sock.connection:
            payload = message.encode() if isinstance(message, str) else message
            for marker in markers:
                if marker in payload and marker not in sock.seen:
                    sock.seen[marker] = time.monotonic()
        sock.closed = "closed by server"
    except ConnectionClosed as exc:
        sock.closed = f"connection lost: {exc}"


async def close_all(sockets: list[IdleSocket]) -> None:
    for sock in sockets:
        if sock.task is not None:
            sock.task.cancel()
        sock.connection.transport.abort()  # no close handshake: 10 000 of them would take long
    await asyncio.sleep(0)
