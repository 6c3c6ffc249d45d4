"""The chat client a Locust user drives: the harness's ``ChatClient`` (login,
one WebSocket) whose reader hands every chat message to a callback at once,
instead of keeping frames in an inbox.

How each stack subscribes and sends is the stack adapter's ``Protocol``
(``harness.stacks``), the same the compatibility scenarios use: a stack added
there is load-tested with no change here.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.clients import ChatClient
from harness.stacks import stack_for
from harness.stacks.base import Protocol

OnMessage = Callable[[str, float], None]  # (chat message, time.time() of receipt)
OnClose = Callable[[str], None]  # reason


def load_protocol(family: str, session_tag: str) -> Protocol:
    return stack_for(family).protocol(session_tag)


def publish_path(protocol: Protocol, kind: str, wanted: str = "auto") -> str:
    """The path a kind is sent through: ``wanted`` when the stack offers it, else the stack's first."""
    paths = protocol.publish_paths[kind]
    return wanted if wanted in paths else paths[0]


def send(protocol: Protocol, client: ChatClient, kind: str, target: str, text: str, wanted: str = "auto") -> None:
    protocol.send(client, kind, target, text, publish_path(protocol, kind, wanted))


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

    def _received(self, text: str) -> None:
        self._on_message(self.protocol.decode(text), time.time())

    def _closed(self, reason: str) -> None:
        if not self.closing:
            self._on_close(reason)

    def close(self) -> None:
        self.closing = True
        super().close()
