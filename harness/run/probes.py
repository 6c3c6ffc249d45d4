"""Raw WebSocket probes for the security and robustness checks: one socket that sends
exactly the frame a check needs (oversize, fragmented, invalid UTF-8, a ping) and
reports what came back — frames, a close code, or a dropped connection.

Every wait is bounded; every probe talks to 127.0.0.1 only (the server's base URL).
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websocket

from harness.clients import close_reason, ws_url
from harness.stacks.base import Protocol
from harness.stacks.channels import ChannelsProtocol

PROBE_TIMEOUT = 3.0  # seconds: each probe's bound (DECISIONS 10)


class HandshakeRefused(Exception):
    """The server answered the handshake with something other than 101."""

    def __init__(self, status: int) -> None:
        super().__init__(f"handshake answered {status}")
        self.status = status


@dataclass
class Heard:
    """What a probe socket got within its wait."""

    frames: list[bytes] = field(default_factory=list)
    pongs: int = 0
    closed: str | None = None  # "closed by server: 1009 message too big", "connection lost: ..."
    timed_out: bool = False

    @property
    def close_code(self) -> int | None:
        words = (self.closed or "").split()
        by_server = words[:3] == ["closed", "by", "server:"] and len(words) > 3 and words[3].isdigit()
        return int(words[3]) if by_server else None

    def summary(self) -> str:
        """Short, for the report's cell: "closed 1009 message too big", "dropped, no close frame"."""
        if self.closed:
            if self.closed.startswith("connection lost"):
                return "dropped, no close frame"
            return self.closed.replace("closed by server: ", "closed ")
        if self.pongs:
            return f"{self.pongs} pong(s)"
        if self.frames:
            return f"answered {self.frames[-1][:60].decode('utf-8', 'replace')!r}"
        return "no answer, still open" if self.timed_out else "nothing"


@dataclass
class EchoPath:
    """A socket path on which a sent text frame comes back (proof it was read),
    on a probe session of its own so that the chat session's clients never see it.
    Each use gets a fresh one: ws4redis replays a facility's last broadcast to every
    new subscriber (WS4REDIS_EXPIRE), which would pass for an answer."""

    template: str  # with {n}
    json_commands: bool
    _uses: int = 0

    @property
    def path(self) -> str:
        self._uses += 1
        return self.template.format(n=self._uses)

    def text(self, body: str) -> str:
        return json.dumps({"command": "broadcast", "message": body}) if self.json_commands else body

    def frame_of_size(self, size: int) -> str:
        """A text frame of exactly ``size`` bytes that the server answers (with a short
        error for Channels, so that the answer is cheap; an echo for ws4redis)."""
        if not self.json_commands:
            return "x" * size
        head = '{"command": "size-probe", "pad": "'
        return head + "x" * max(0, size - len(head) - 2) + '"}'


def echo_path(protocol: Protocol, tag: str) -> EchoPath:
    if isinstance(protocol, ChannelsProtocol):
        return EchoPath(f"/ws/chat/?session=probe-{tag}-{{n}}", json_commands=True)
    return EchoPath(f"/ws/probe-{tag}-{{n}}?subscribe-broadcast&publish-broadcast&echo", json_commands=False)


def open_socket(base_url: str, path: str, cookie: str = "", origin: str | None = None) -> websocket.WebSocket:
    """A raw socket (no reader thread); raises HandshakeRefused or OSError/WebSocketException."""
    try:
        return websocket.create_connection(
            ws_url(base_url, path),
            cookie=cookie,
            origin=origin,
            timeout=PROBE_TIMEOUT,
            skip_utf8_validation=True,  # the probes judge the server, not the client's validator
        )
    except websocket.WebSocketBadStatusException as exc:
        raise HandshakeRefused(exc.status_code) from exc


def listen(ws: websocket.WebSocket, timeout: float, until=lambda heard: bool(heard.frames), ignore=()) -> Heard:
    """Read frames until ``until(heard)``, a close, or ``timeout`` seconds.

    Raw frames (recv_frame): websocket-client's recv_data_frame answers a close frame
    itself, and when the server has already hung up that answer raises and hides
    the close code that was read."""
    heard = Heard()
    deadline = time.monotonic() + timeout
    partial: list[bytes] = []
    while not until(heard):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            heard.timed_out = True
            break
        ws.settimeout(remaining)
        try:
            frame = ws.recv_frame()
        except websocket.WebSocketTimeoutException:
            heard.timed_out = True
            break
        except (websocket.WebSocketException, OSError) as exc:
            heard.closed = f"connection lost: {type(exc).__name__}"
            break
        data = frame.data if isinstance(frame.data, bytes) else frame.data.encode()
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            heard.closed = close_reason(data)
            break
        if frame.opcode == websocket.ABNF.OPCODE_PONG:
            heard.pongs += 1
        elif frame.opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY, websocket.ABNF.OPCODE_CONT):
            partial.append(data)
            if frame.fin:
                message, partial = b"".join(partial), []
                if message.decode("utf-8", "replace") not in ignore:
                    heard.frames.append(message)
    return heard


def close_quietly(ws: websocket.WebSocket | None) -> None:
    if ws is not None:
        with contextlib.suppress(websocket.WebSocketException, OSError):
            ws.close(timeout=0.5)
        with contextlib.suppress(OSError):
            ws.shutdown()


def plain_get(base_url: str, path: str, cookie: str = "", timeout: float = PROBE_TIMEOUT) -> str:
    """A plain HTTP/1.1 GET without Upgrade headers: "404", or how the connection ended.

    Raw socket, not requests: a dropped connection must be seen as such, not retried."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    request += (f"Cookie: {cookie}\r\n" if cookie else "") + "\r\n"
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(request.encode("latin-1"))
            first = conn.makefile("rb").readline(200)
    except TimeoutError:
        return f"no answer within {timeout:.0f} s"
    except OSError as exc:
        return f"connection lost: {type(exc).__name__}"
    words = first.split()
    if len(words) >= 2 and words[0].startswith(b"HTTP/") and words[1].isdigit():
        return words[1].decode()
    return "connection closed without a status line" if not first else f"not HTTP: {first[:40]!r}"
