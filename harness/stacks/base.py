"""What the driver needs to know about a stack, whatever the stack."""

from __future__ import annotations

from abc import ABC, abstractmethod
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


class Protocol(ABC):
    """How clients of one chat session subscribe and send each kind of message."""

    heartbeats: frozenset[str] = frozenset()

    @abstractmethod
    def socket_path(self) -> str:
        """The path every client connects to (subscribing to everything it may receive)."""

    @abstractmethod
    def send_broadcast(self, sender: ChatClient, text: str) -> None: ...

    @abstractmethod
    def send_user(self, sender: ChatClient, target: str, text: str) -> None: ...

    @abstractmethod
    def send_group(self, sender: ChatClient, group: str, text: str) -> None: ...

    def decode(self, frame_text: str) -> str:
        """The chat message a frame carries (frames may wrap it, e.g. in JSON)."""
        return frame_text


class Stack(ABC):
    family: str
    project_dir: Path

    @abstractmethod
    def launch(self, server: str, python: Path, bin_dir: Path, port: int) -> ServerLaunch:
        """The command that serves the chat project on 127.0.0.1:port."""

    @abstractmethod
    def protocol(self, session_tag: str) -> Protocol:
        """A protocol for one chat session; ``session_tag`` keeps sessions apart."""

    @abstractmethod
    def probe_socket_path(self) -> str:
        """A socket path that must answer 101 to an anonymous or logged-in client."""
