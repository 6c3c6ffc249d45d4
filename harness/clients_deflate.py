"""A scripted chat client that offers permessage-deflate (RFC 7692) as browsers do.

websocket-client, behind ``ChatClient``, never offers compression; every browser does,
and a server that accepts (uvicorn does) then compresses every frame to it, a path the
plain clients never take.  This client keeps ``ChatClient``'s interface (HTTP login,
inbox, reader thread, close reasons) and swaps the socket for ``websockets``' sync
client, with the offer Chromium sends (``permessage-deflate; client_max_window_bits``),
an Origin header, and no pings of its own (browsers send none).
"""

from __future__ import annotations

import contextlib
import struct
import threading

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, WebSocketException
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from harness.clients import CONNECT_TIMEOUT, ChatClient, close_reason, ws_url
from harness.errors import ClientError

# What Chromium offers (its Sec-WebSocket-Extensions request header).
BROWSER_OFFER = "permessage-deflate; client_max_window_bits"


def browser_offer() -> ClientPerMessageDeflateFactory:
    """The offer as a websockets extension factory: no server_max_window_bits, the client's
    window left for the server to pick, zlib defaults (as Chromium)."""
    return ClientPerMessageDeflateFactory(client_max_window_bits=True, compress_settings={})


class DeflateChatClient(ChatClient):
    """``ChatClient`` whose socket offers permessage-deflate; ``extensions`` is what the
    server accepted ("" when it declined), read from its handshake answer."""

    offer = BROWSER_OFFER

    def __init__(self, *args, **kwargs) -> None:  # ChatClient's own arguments
        super().__init__(*args, **kwargs)
        self._conn: ClientConnection | None = None
        self.extensions = ""

    def connect(self, path: str) -> None:
        try:
            conn = connect(
                ws_url(self.base_url, path),
                origin=Origin(self.base_url),  # browsers always send one
                extensions=[browser_offer()],
                compression=None,  # only the offer above, not websockets' own default offer
                additional_headers={"Cookie": self.cookie_header()},
                open_timeout=CONNECT_TIMEOUT,
                close_timeout=2,
                ping_interval=None,
                max_size=None,
                legacy=True,  # the connection itself, kept open across calls (not a context manager)
            )
        except InvalidStatus as exc:
            raise ClientError(
                f"{self.username}: WebSocket handshake to {path} answered {exc.response.status_code}"
            ) from exc
        except (InvalidHandshake, WebSocketException, OSError, TimeoutError) as exc:
            raise ClientError(f"{self.username}: WebSocket connect to {path} failed: {exc}") from exc
        self._conn = conn
        self.extensions = (conn.response.headers.get("Sec-WebSocket-Extensions") if conn.response else None) or ""
        self._reader = threading.Thread(target=self._read_deflate, name=f"ws-{self.username}", daemon=True)
        self._reader.start()

    def _read_deflate(self) -> None:
        """Like ``ChatClient._read``: every message to the inbox (pings are answered by
        websockets), and why the socket ended: the server's close frame, or what broke
        (a frame that does not inflate is closed by the client with 1007, and says so)."""
        conn = self._conn
        assert conn is not None
        try:
            while True:
                message = conn.recv()
                text = message.decode("utf-8", errors="replace") if isinstance(message, bytes) else message
                if text not in self._ignore:
                    self._received(text)
        except ConnectionClosed as exc:
            reason = _closed_reason(exc)
        except (WebSocketException, OSError) as exc:
            reason = f"connection lost: {exc}"
        if conn is self._conn:
            self._closed(reason)

    def send(self, text: str) -> None:
        if self._conn is None:
            raise ClientError(f"{self.username}: not connected")
        try:
            self._conn.send(text)
        except (WebSocketException, OSError) as exc:
            raise ClientError(f"{self.username}: send failed: {exc}") from exc

    def _close_socket(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(WebSocketException, OSError):
                self._conn.close()
        if self._reader is not None:
            self._reader.join(timeout=3)


def _closed_reason(exc: ConnectionClosed) -> str:
    """The server's close frame as ``close_reason`` words it; when the client closed first
    (a protocol error it found, e.g. a frame that does not inflate), what it found."""
    if exc.rcvd is not None and (exc.sent is None or exc.rcvd_then_sent):
        return close_reason(struct.pack("!H", exc.rcvd.code) + exc.rcvd.reason.encode())
    if exc.sent is not None:
        return f"connection lost: the client closed it with {exc.sent.code} ({exc.sent.reason or 'no reason'})"
    return f"connection lost: {exc}"
