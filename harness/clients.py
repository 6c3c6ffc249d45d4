"""Scripted chat clients: log in over HTTP like a browser, then hold one WebSocket
whose every frame is kept, time-stamped, in an inbox that tests can wait on.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import websocket

from harness.errors import ClientError
from harness.fixtures import PASSWORD

CONNECT_TIMEOUT = 10.0
# A socket's warm-up: broadcasts until it hears one, since a 101 does not mean the
# server has subscribed it yet (ws4redis subscribes some 10-300 ms after its 101 here).
WARMUP_TIMEOUT = 3.0
WARMUP_INTERVAL = 0.25
# The warm-up on a server already shown deaf (a browser page, or a later session of a
# mode whose scripted users heard nothing): it confirms, it does not wait that out again.
DEAF_WARMUP = 1.0
HTTP_TIMEOUT = 10.0
LOGIN_PATH = "/accounts/login/"
# RFC 6455 section 7.4.1 (and the IANA registry): what each close code means.
CLOSE_CODES = {
    1000: "normal closure",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported data",
    1005: "no status",
    1006: "abnormal closure",
    1007: "invalid payload",
    1008: "policy violation",
    1009: "message too big",
    1010: "mandatory extension",
    1011: "internal error",
}


def close_reason(payload: bytes) -> str:
    """ "closed by server: 1007 invalid payload (reason)" from a close frame's payload."""
    if len(payload) < 2:
        return "closed by server: no close code"
    code = struct.unpack("!H", payload[:2])[0]
    text = payload[2:].decode("utf-8", errors="replace").strip()
    name = CLOSE_CODES.get(code, "application code" if 3000 <= code < 5000 else "unknown code")
    return f"closed by server: {code} {name}" + (f" ({text})" if text else "")


@dataclass(frozen=True)
class Frame:
    text: str
    at: float  # time.monotonic() when the reader thread got it


class Inbox:
    """Frames received by one client, in order, with a condition to wait on."""

    def __init__(self) -> None:
        self._frames: list[Frame] = []
        self._cond = threading.Condition()
        self.closed_reason: str | None = None
        self.closed_at: float | None = None  # time.monotonic() when the socket was found closed

    def add(self, frame: Frame) -> None:
        with self._cond:
            self._frames.append(frame)
            self._cond.notify_all()

    def close(self, reason: str) -> None:
        with self._cond:
            self.closed_reason = reason
            self.closed_at = time.monotonic()
            self._cond.notify_all()

    def reopen(self) -> None:
        """A new socket feeds the same inbox: frames so far are kept, the close is forgotten."""
        with self._cond:
            self.closed_reason = None
            self.closed_at = None

    def snapshot(self) -> list[Frame]:
        with self._cond:
            return list(self._frames)

    def wait_for(self, predicate: Callable[[list[Frame]], bool], timeout: float) -> bool:
        """True once ``predicate(frames)`` holds; False at the timeout or on close."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self._frames):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed_reason is not None:
                    return predicate(self._frames)
                self._cond.wait(remaining)
            return True


class _OneRequestPerConnection(requests.adapters.HTTPAdapter):
    """Keep the promise of our ``Connection: close`` header: one request per socket.

    urllib3 pools a connection unless the *response* says "close" (the request
    header does not count), and uWSGI's HTTP router answers HTTP/1.1 without
    that header, hanging up only once the worker has finished. A request sent
    on the pooled socket in between (the login POST right after its GET) was
    dropped unanswered: RemoteDisconnected. RFC 9112 9.6: a client that sends
    "close" must not send further requests on that connection. So the body is
    read here and the socket closed; urllib3 opens a fresh one for the next
    request. Not for ``stream=True`` (this client never streams).
    """

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        # HTTPAdapter.send's own keyword arguments, passed on as they are.
        response = super().send(request, **kwargs)
        connection = response.raw.connection
        try:
            response.content  # noqa: B018 - read the body while the socket is ours
        finally:
            if connection is not None:
                connection.close()
        return response


def loopback_session() -> requests.Session:
    """An HTTP session that never reads the environment. The harness talks to loopback only,
    and requests' proxy look-up iterates os.environ, which the in-process pytest run changes
    meanwhile (PYTEST_CURRENT_TEST): from any other thread, a KeyError now and then."""
    session = requests.Session()
    session.trust_env = False
    return session


def ws_url(base_url: str, path: str) -> str:
    return "ws" + base_url[len("http") :] + path


class ChatClient:
    """One user: a logged-in HTTP session and (once connected) one WebSocket."""

    def __init__(
        self, base_url: str, username: str, ignore: frozenset[str] = frozenset(), keep_alive: bool = False
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.http = loopback_session()
        if not keep_alive:
            # One connection per request: ws4redis 0.5+'s runserver and uWSGI's
            # HTTP router close after each response without saying so, and a
            # reused dead socket would fail a POST for reasons unrelated to chat.
            # The header alone does not do it (see _OneRequestPerConnection).
            # The "keep-alive HTTP" check measures what this hides (keep_alive=True).
            self.http.headers["Connection"] = "close"
            self.http.mount("http://", _OneRequestPerConnection())
        self.inbox = Inbox()
        self._ignore = ignore  # heartbeats and other frames that are not messages
        self._ws: websocket.WebSocket | None = None
        self._reader: threading.Thread | None = None

    # HTTP ----------------------------------------------------------------
    def login(self, password: str = PASSWORD) -> None:
        url = self.base_url + LOGIN_PATH
        try:
            page = self.http.get(url, timeout=HTTP_TIMEOUT)
            token = self.http.cookies.get("csrftoken", "")
            answer = self.http.post(
                url,
                data={"username": self.username, "password": password, "csrfmiddlewaretoken": token, "next": "/"},
                headers={"Referer": url},
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ClientError(f"{self.username}: login request failed: {exc}") from exc
        if page.status_code != 200 or answer.status_code != 302 or "sessionid" not in self.http.cookies:
            raise ClientError(f"{self.username}: login failed (GET {page.status_code}, POST {answer.status_code})")

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        token = self.http.cookies.get("csrftoken", "")
        try:
            response = self.http.post(
                self.base_url + path,
                data=data,
                headers={"X-CSRFToken": token, "Referer": self.base_url + "/"},
                timeout=HTTP_TIMEOUT,
            )
        except requests.RequestException as exc:
            raise ClientError(f"{self.username}: POST {path} failed: {exc}") from exc
        if response.status_code != 200:
            raise ClientError(f"{self.username}: POST {path} answered {response.status_code}")
        return response

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())

    # WebSocket -----------------------------------------------------------
    def connect(self, path: str) -> None:
        try:
            self._ws = websocket.create_connection(
                ws_url(self.base_url, path), cookie=self.cookie_header(), timeout=CONNECT_TIMEOUT
            )
        except websocket.WebSocketBadStatusException as exc:
            raise ClientError(f"{self.username}: WebSocket handshake to {path} answered {exc.status_code}") from exc
        except (websocket.WebSocketException, OSError) as exc:
            raise ClientError(f"{self.username}: WebSocket connect to {path} failed: {exc}") from exc
        self._ws.settimeout(None)  # the reader blocks; close() unblocks it
        self._reader = threading.Thread(target=self._read, name=f"ws-{self.username}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Every data frame to the inbox; pings are answered (by websocket-client), and the
        close frame's code and reason are kept, since they say why a server gave up."""
        ws = self._ws
        assert ws is not None
        reason = "closed by server"
        try:
            while True:
                opcode, frame = ws.recv_data_frame(control_frame=True)
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    reason = close_reason(frame.data)
                    break
                if opcode not in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                    continue  # ping, pong
                text = frame.data.decode("utf-8", errors="replace") if isinstance(frame.data, bytes) else frame.data
                if text not in self._ignore:
                    self._received(text)
        except (websocket.WebSocketException, OSError) as exc:
            reason = f"connection lost: {exc}"
        if ws is self._ws:  # not a socket that reconnect() already replaced
            self._closed(reason)

    # The reader's hooks: a load client hands messages on instead of keeping them.
    def _received(self, text: str) -> None:
        self.inbox.add(Frame(text, time.monotonic()))

    def _closed(self, reason: str) -> None:
        self.inbox.close(reason)

    def reconnect(self, path: str) -> None:
        """A fresh socket for this user (after the server closed the last one); if it
        cannot open, the inbox stays closed, saying why."""
        self._close_socket()
        self.inbox.reopen()
        try:
            self.connect(path)
        except ClientError as exc:
            self.inbox.close(f"not reopened: {exc}")
            raise

    def send(self, text: str) -> None:
        if self._ws is None:
            raise ClientError(f"{self.username}: not connected")
        try:
            self._ws.send(text)
        except (websocket.WebSocketException, OSError) as exc:
            raise ClientError(f"{self.username}: send failed: {exc}") from exc

    def abort(self) -> None:
        """Shut the socket down at once, without a close frame: a send stuck on a server
        that stopped reading it holds websocket-client's lock, so close() would wait too."""
        sock = self._ws.sock if self._ws is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _close_socket(self) -> None:
        if self._ws is not None:
            with contextlib.suppress(websocket.WebSocketException, OSError):
                self._ws.close(timeout=2)
        if self._reader is not None:
            self._reader.join(timeout=3)

    def close(self) -> None:
        self._close_socket()
        self.http.close()
