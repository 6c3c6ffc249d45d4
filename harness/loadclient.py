"""The chat client a Locust user drives: the harness's ``ChatClient`` (login,
one WebSocket) whose reader hands every chat message to a callback at once,
instead of keeping frames in an inbox.

How each stack subscribes and sends is the stack adapter's ``Protocol``
(``harness.stacks``), the same the compatibility scenarios use.  Until the
Channels adapter is registered there, ``ChannelsChatProtocol`` below speaks the
Channels chat server's protocol (see DESIGN.md), so the load users need no
rework once it is.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import websocket

from harness.clients import ChatClient, ClientError
from harness.stacks import stack_for
from harness.stacks.base import Protocol

OnMessage = Callable[[str, float], None]  # (chat message, time.time() of receipt)
OnClose = Callable[[str], None]  # reason


class ChannelsChatProtocol(Protocol):
    """Channels chat server: every kind as a JSON command over the socket."""

    def __init__(self, session_tag: str) -> None:
        self.session_tag = session_tag

    def socket_path(self) -> str:
        return f"/ws/chat/?session={self.session_tag}"

    def send_broadcast(self, sender: ChatClient, text: str) -> None:
        sender.send(json.dumps({"command": "broadcast", "message": text}))

    def send_user(self, sender: ChatClient, target: str, text: str) -> None:
        sender.send(json.dumps({"command": "user", "user": target, "message": text}))

    def send_group(self, sender: ChatClient, group: str, text: str) -> None:
        sender.send(json.dumps({"command": "group", "group": group, "message": text}))

    def decode(self, frame_text: str) -> str:
        try:
            data = json.loads(frame_text)
        except ValueError:
            return frame_text
        if isinstance(data, dict) and data.get("type") == "chat":
            return str(data.get("message", ""))
        return frame_text


def load_protocol(family: str, session_tag: str) -> Protocol:
    """The stack's own protocol adapter; the built-in Channels one when none is registered."""
    try:
        return stack_for(family).protocol(session_tag)
    except ValueError:
        if family == "channels":
            return ChannelsChatProtocol(session_tag)
        raise


def send(protocol: Protocol, client: ChatClient, kind: str, target: str, text: str) -> None:
    if kind == "broadcast":
        protocol.send_broadcast(client, text)
    elif kind == "user":
        protocol.send_user(client, target, text)
    elif kind == "group":
        protocol.send_group(client, target, text)
    else:
        raise ValueError(f"unknown kind {kind!r}")


class LoadChatClient(ChatClient):
    """A ``ChatClient`` that passes each decoded message to ``on_message`` as it arrives."""

    def __init__(
        self, base_url: str, username: str, protocol: Protocol, on_message: OnMessage, on_close: OnClose
    ) -> None:
        super().__init__(base_url, username, ignore=protocol.heartbeats)
        self.protocol = protocol
        self._on_message = on_message
        self._on_close = on_close
        self.closing = False

    def connect_socket(self) -> float:
        """Open the stack's socket; returns the handshake time in ms."""
        started = time.perf_counter()
        self.connect(self.protocol.socket_path())
        return (time.perf_counter() - started) * 1000.0

    def _read(self) -> None:
        assert self._ws is not None
        reason = "closed by server"
        try:
            while True:
                text = self._ws.recv()
                if isinstance(text, bytes):
                    text = text.decode("utf-8", errors="replace")
                if not text:
                    break
                if text not in self._ignore:
                    self._on_message(self.protocol.decode(text), time.time())
        except (websocket.WebSocketException, OSError) as exc:
            reason = f"connection lost: {exc}"
        if not self.closing:
            self._on_close(reason)

    def close(self) -> None:
        self.closing = True
        super().close()


__all__ = ["ChannelsChatProtocol", "ClientError", "LoadChatClient", "load_protocol", "send"]
