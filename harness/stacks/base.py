"""What the driver needs to know about a stack, whatever the stack."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from harness.clients import ChatClient
from harness.errors import BadInput
from harness.matrix.releases import LAYERS, SERVERS, split_mode
from harness.paths import FIXTURES


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
KINDS = ("broadcast", "user", "group")  # the kinds of chat message

# A server's command: (python, the venv's bin folder, port) -> argv.
Command = Callable[[Path, Path, int], list[str]]


def manage_py_runserver(python: Path, bin_dir: Path, port: int) -> list[str]:
    """Django's runserver, as each stack patches it to speak WebSocket (ws4redis's
    django_runserver, Channels' own up to 3, daphne's from Channels 4)."""
    return [str(python), "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]


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

    @abstractmethod
    def fields(self, frame_text: str) -> dict:
        """A room frame's fields ({} for a frame that is not a room frame)."""


class Stack(ABC):
    family: str
    project_dir: Path
    fixtures: tuple[Path, ...] = (FIXTURES / "users.json",)

    @abstractmethod
    def commands(self) -> Mapping[str, Command]:
        """Each server's command, by the server names of ``harness.matrix.releases.SERVERS``."""

    def launch(self, mode: str, python: Path, bin_dir: Path, port: int) -> ServerLaunch:
        """The command that serves the chat project on 127.0.0.1:port in server ``mode``."""
        server, layer = split_mode(mode)
        if server not in SERVERS[self.family]:
            raise BadInput(f"{self.family} has no server {server!r} ({', '.join(SERVERS[self.family])})")
        layers = LAYERS.get(self.family, ())
        if bool(layer) != bool(layers) or (layer and layer not in layers):
            expected = f"one of the layers {', '.join(layers)}" if layers else "no channel layer"
            raise BadInput(f"{self.family} mode {mode!r}: expected {expected}")
        env = {"CHAT_CHANNEL_LAYER": layer} if layer else {}
        return ServerLaunch(mode, self.commands()[server](python, bin_dir, port), env)

    @abstractmethod
    def protocol(self, session_tag: str) -> Protocol:
        """A protocol for one chat session; ``session_tag`` keeps sessions apart."""

    @abstractmethod
    def page_protocol(self) -> Protocol:
        """The protocol of the chat page at ``/`` (its default session or facility), for
        scripted users chatting with someone on that page (the real-browser check)."""

    @abstractmethod
    def probe_socket_path(self) -> str:
        """A socket path that must answer 101 to an anonymous or logged-in client."""
