"""The dead-peer check (``--deep``): a client that stops answering pings but keeps
its TCP connection open, as a phone that lost its network does.  Does the server
notice, and after how long?

The client logs in and opens its socket, then only drains the raw TCP stream:
frames (pings included) are read and dropped, never answered, so the kernel keeps
the connection alive while the WebSocket peer is dead.  Detected means the
server ended the TCP connection.  DECISIONS 3: ✓ when detected within 60 s.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from dataclasses import dataclass, field

import websocket

from harness.clients import ChatClient, ws_url
from harness.errors import ClientError
from harness.run.idle import FAMILY
from harness.stacks.base import Stack

DEAD_PEER_CHECK = "dead peer detected"
DETECT_WITHIN = 60.0  # DECISIONS 3
WATCH_SECONDS = 120.0  # "never within 120 s"
READ_SLICE = 1.0


@dataclass
class DeadPeer:
    """One mode's silent client, watched until the server drops it or WATCH_SECONDS pass."""

    server: str
    stack: Stack
    watch_seconds: float = WATCH_SECONDS
    problem: str = ""
    began: float = 0.0
    detected_after: float | None = None
    ended_at: float | None = None  # when the watch ended (dropped, failed to open, or timed out)
    how: str = ""
    _sock: websocket.WebSocket | None = None
    _client: ChatClient | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    def open(self, base_url: str) -> DeadPeer:
        self.began = time.monotonic()
        try:
            self._client = ChatClient(base_url, "admin")
            self._client.login()
            path = self.stack.protocol(secrets.token_hex(4)).socket_path()
            self._sock = websocket.create_connection(
                ws_url(base_url, path), cookie=self._client.cookie_header(), timeout=10
            )
        except (ClientError, websocket.WebSocketException, OSError) as exc:
            self.problem = f"could not open the silent socket: {exc}"
            self._end()
            return self
        self.began = time.monotonic()
        threading.Thread(target=self._drain, name=f"dead-peer-{self.server}", daemon=True).start()
        return self

    def _drain(self) -> None:
        """Read and drop raw bytes (no pong ever) until the server ends the connection."""
        raw = self._sock.sock if self._sock is not None else None
        if raw is None:
            self._end()
            return
        raw.settimeout(READ_SLICE)
        deadline = self.began + self.watch_seconds
        try:
            while time.monotonic() < deadline:
                try:
                    data = raw.recv(65536)
                except TimeoutError:
                    continue
                except OSError as exc:
                    self.detected_after, self.how = time.monotonic() - self.began, f"connection reset ({exc})"
                    return
                if not data:
                    self.detected_after, self.how = time.monotonic() - self.began, "connection closed"
                    return
        finally:
            self._end()

    def _end(self) -> None:
        self.ended_at = time.monotonic()
        self._done.set()

    @property
    def ripe_at(self) -> float:
        """When its verdict is known: as soon as the server dropped it, else at the watch's end."""
        if self.ended_at is not None:
            return self.ended_at
        return self.began + self.watch_seconds + READ_SLICE

    def deliver(self) -> dict[str, object]:
        self._done.wait(max(0.0, self.began + self.watch_seconds + 2 * READ_SLICE - time.monotonic()))
        if self.problem:
            ok, value, detail = False, None, self.problem
        elif self.detected_after is None:
            ok, value = False, f"never within {self.watch_seconds:.0f} s"
            detail = f"a client answering no ping kept its socket {self.watch_seconds:.0f} s: never detected"
        else:
            ok, value = self.detected_after <= DETECT_WITHIN, f"{self.detected_after:.1f} s"
            detail = f"the server dropped the silent client after {self.detected_after:.1f} s ({self.how})"
            if not ok:
                detail += f", later than {DETECT_WITHIN:.0f} s"
        entry = {"name": DEAD_PEER_CHECK, "server": self.server, "ok": ok, "detail": detail}
        return entry | {"family": FAMILY, "value": value}

    def close(self) -> None:
        raw = self._sock.sock if self._sock is not None else None
        if raw is not None:
            with contextlib.suppress(OSError):
                raw.close()
        if self._client is not None:
            self._client.close()
