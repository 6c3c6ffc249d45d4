"""What the driver needs to know about a stack, whatever the stack."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.clients import ChatClient

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ServerLaunch:
    """How to start one server mode of a chat server project."""

    name: str
    cmd: list[str]
    env: dict[str, str]


# How a message can be published: over the sender's own WebSocket, or by an
# HTTP POST to a view that publishes server-side.
SOCKET = "socket"
HTTP = "http"


class Protocol(ABC):
    """How clients of one chat session subscribe and send each kind of message."""

    heartbeats: frozenset[str] = frozenset()
    # Whether sockets need a logged-in user (ws4redis lets anyone hear broadcasts).
    refuses_anonymous: bool = False
    # For each kind of message ("broadcast", "user", "group"), the publish
    # paths the stack offers; every path of every kind is checked.
    publish_paths: Mapping[str, tuple[str, ...]]

    @abstractmethod
    def socket_path(self) -> str:
        """The path every client connects to (subscribing to everything it may receive)."""

    @abstractmethod
    def send(self, sender: ChatClient, kind: str, target: str, text: str, path: str) -> None:
        """Publish ``text`` as a ``kind`` message to ``target`` through ``path``."""

    def decode(self, frame_text: str) -> str:
        """The chat message a frame carries (frames may wrap it, e.g. in JSON)."""
        return frame_text

    def sender_of(self, frame_text: str) -> str | None:
        """Who the frame says sent it, when the protocol says (None otherwise)."""
        return None


class Rooms(ABC):
    """Stacks with multichat-style rooms: join, leave, and send to a room."""

    @abstractmethod
    def join(self, client: ChatClient, room: str) -> None: ...

    @abstractmethod
    def leave(self, client: ChatClient, room: str) -> None: ...

    @abstractmethod
    def send_to_room(self, client: ChatClient, room: str, text: str) -> None: ...


class Stack(ABC):
    family: str
    project_dir: Path
    fixtures: tuple[Path, ...] = (ROOT / "fixtures" / "users.json",)

    @abstractmethod
    def launch(self, mode: str, python: Path, bin_dir: Path, port: int) -> ServerLaunch:
        """The command that serves the chat project on 127.0.0.1:port in server ``mode``."""

    @abstractmethod
    def protocol(self, session_tag: str) -> Protocol:
        """A protocol for one chat session; ``session_tag`` keeps sessions apart."""

    @abstractmethod
    def probe_socket_path(self) -> str:
        """A socket path that must answer 101 to an anonymous or logged-in client."""
