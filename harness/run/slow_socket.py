"""The slow reader's socket: a logged-in chat socket with a small receive buffer asked
for before connect (so the kernel cannot autotune it to MiBs), read only to warm up
and, after the window, to count what the server still delivers to it."""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import websocket

from harness.clients import CONNECT_TIMEOUT, WARMUP_INTERVAL, close_reason, ws_url
from harness.errors import ClientError
from harness.sut.loopback import SLOW_RCVBUF, Queues, connection_queues

DRAIN_IDLE = 0.5  # seconds of silence before the drain nudges (one more broadcast)
DRAIN_BOUND = 4.0  # seconds the drain may take at most


@dataclass(frozen=True)
class Drained:
    """What the slow socket got once it read again."""

    got: int  # distinct messages of the window
    duplicates: int
    closed: str | None  # "closed by server: 1011 ...", "connection lost: ...", None if still open
    seconds: float
    bounded: bool  # the drain stopped at DRAIN_BOUND while messages still came
    held: int = 0  # came only after one more broadcast: the server held them until then

    def fate(self, sent: int, left_at: float | None) -> str:
        """ "got all 200 once it read again (all buffered)", "got 130 of 200 once it read
        again (70 dropped)", "closed 1011 internal error 3.5 s into the window (got 40 of
        200 first)", "got 122 of 200 in 4 s of reading (still coming: not counted as dropped)"."""
        copies = f"got all {sent}" if self.got == sent else f"got {self.got} of {sent}"
        extra = f", {self.duplicates} twice" if self.duplicates else ""
        if self.held:
            extra += f", {self.held} only after one more broadcast"
        if self.closed:
            how = self.closed.replace("closed by server: ", "closed ")
            how = "dropped without a close frame" if how.startswith("connection lost") else how
            when = f" {left_at:.1f} s into the window" if left_at is not None else " once read again"
            return f"{how}{when} ({copies} first{extra})"
        if self.bounded:
            return f"{copies} in {self.seconds:.0f} s of reading (still coming: not counted as dropped{extra})"
        if self.got == sent:
            return f"{copies} once it read again (all buffered{extra})"
        return f"{copies} once it read again ({sent - self.got} dropped{extra})"

    def short(self, sent: int, left_at: float | None) -> str:
        """The fate in a report cell's few characters: "all 250, 24 late", "217/250 (33 lost)",
        "closed 1011 at 3.5 s", "dropped at 3.5 s", "122/250 in 4 s"."""
        if self.closed:
            words = self.closed.split()
            how = f"closed {words[3]}" if self.closed.startswith("closed by server: ") and len(words) > 3 else "dropped"
            return f"{how} at {left_at:.1f} s" if left_at is not None else f"{how} on reading"
        if self.bounded:
            return f"{self.got}/{sent} in {self.seconds:.0f} s"
        if self.got == sent:
            return f"all {sent}" + (f", {self.held} late" if self.held else "")
        return f"{self.got}/{sent} ({sent - self.got} lost)"


class SlowSocket:
    def __init__(self, ws: websocket.WebSocket) -> None:
        assert ws.sock is not None  # just connected
        self.ws = ws
        self.local = ws.sock.getsockname()
        self.peer = ws.sock.getpeername()

    @classmethod
    def open(cls, base_url: str, path: str, cookie: str) -> SlowSocket:
        try:
            ws = websocket.create_connection(
                ws_url(base_url, path),
                cookie=cookie,
                timeout=CONNECT_TIMEOUT,
                sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF),),  # before connect
            )
        except (websocket.WebSocketException, OSError) as exc:
            raise ClientError(f"the slow socket could not connect: {exc}") from exc
        return cls(ws)

    def queues(self) -> Queues:
        return connection_queues(self.local, self.peer)

    def warm_up(self, broadcast: Callable[[str], None], tag: str, timeout: float) -> bool:
        """Broadcast until this socket hears one (a 101 does not mean subscribed yet)."""
        deadline = time.monotonic() + timeout
        sent = 0
        while time.monotonic() < deadline:
            broadcast(f"slowwarm:{tag}:{sent}")
            sent += 1
            until = min(deadline, time.monotonic() + WARMUP_INTERVAL)
            while (left := until - time.monotonic()) > 0:
                self.ws.settimeout(left)
                try:
                    _, frame = self.ws.recv_data_frame(control_frame=True)
                except websocket.WebSocketTimeoutException:
                    break
                except (websocket.WebSocketException, OSError):
                    return False
                if f"slowwarm:{tag}:".encode() in bytes(frame.data[:512]):
                    return True
        return False

    def drain(self, prefix: str, sent: int, nudge: Callable[[], bytes]) -> Drained:
        """Read until every one of ``sent`` messages whose text starts with ``prefix`` +
        index has come, the server closes, or DRAIN_BOUND.  At the first DRAIN_IDLE of
        silence, ``nudge()`` broadcasts one more message (and says what to look for):
        what comes before it was held back, not dropped; what has not come once it is
        here will not come (frames reach a socket in publish order)."""
        pattern = re.compile(re.escape(prefix.encode()) + rb"(\d+) ")
        seen: set[int] = set()
        duplicates = held = 0
        closed: str | None = None
        marker: bytes | None = None
        began = time.monotonic()
        deadline = began + DRAIN_BOUND
        while len(seen) < sent and (left := deadline - time.monotonic()) > 0:
            self.ws.settimeout(min(DRAIN_IDLE, left))
            try:
                opcode, frame = self.ws.recv_data_frame(control_frame=True)
            except websocket.WebSocketTimeoutException:
                if marker is not None:
                    continue  # the nudge is on its way: wait for it until DRAIN_BOUND
                marker, before = nudge(), len(seen)
                continue
            except (websocket.WebSocketException, OSError) as exc:
                closed = f"connection lost: {exc}"
                break
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                closed = close_reason(bytes(frame.data))
                break
            head = bytes(frame.data[:512])
            if marker is not None and marker in head:
                held = len(seen) - before
                break
            found = pattern.search(head)
            if found:
                index = int(found.group(1))
                duplicates += index in seen
                seen.add(index)
        if marker is not None and len(seen) == sent:
            held = len(seen) - before
        bounded = time.monotonic() >= deadline and len(seen) < sent and closed is None
        return Drained(len(seen), duplicates, closed, time.monotonic() - began, bounded, held)

    def close(self) -> None:
        with contextlib.suppress(websocket.WebSocketException, OSError):
            self.ws.settimeout(1.0)  # the close frame's send too: bounded
            self.ws.close(timeout=1.0)
