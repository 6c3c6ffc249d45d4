"""Django Channels: a JSON command protocol over the socket (chatservers/channels),
every kind of message published both over the sender's socket and by an HTTP
POST to a view calling ``channel_layer.group_send``; rooms as in multichat.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

from harness.clients import ChatClient
from harness.paths import CHATSERVERS, FIXTURES
from harness.stacks.base import HTTP, KINDS, SOCKET, Command, Protocol, Rooms, Stack, manage_py_runserver

ASGI_APP = "chatserver.asgi:application"
PAGE_SESSION = "main"  # chat/groups.py DEFAULT_SESSION: the chat page's socket names no session


class ChannelsProtocol(Protocol, Rooms):
    publish_paths = {kind: (SOCKET, HTTP) for kind in KINDS}
    refuses_anonymous = True

    def __init__(self, session: str) -> None:
        self.session = session  # the server scopes every group by it

    def socket_path(self) -> str:
        return f"/ws/chat/?session={self.session}"

    def send(self, sender: ChatClient, kind: str, target: str, text: str, path: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown message kind {kind!r}")
        if path == SOCKET:
            command = {"command": kind, "message": text}
            if kind != "broadcast":
                command[kind] = target  # {"user": "john"} or {"group": "chatusers"}
            sender.send(json.dumps(command))
        elif path == HTTP:
            target = "" if kind == "broadcast" else target
            sender.post("/publish/", {"kind": kind, "target": target, "message": text, "session": self.session})
        else:
            raise ValueError(f"Channels chat server has no {path!r} publish path")

    def decode(self, frame_text: str) -> str:
        frame = parse_frame(frame_text)
        if frame.get("type") == "chat" and isinstance(frame.get("message"), str):
            return frame["message"]
        return frame_text  # room notices, answers and errors stay as they are

    def sender_of(self, frame_text: str) -> str | None:
        frame = parse_frame(frame_text)
        return frame.get("from") if frame.get("type") == "chat" else None

    # Rooms (multichat) ----------------------------------------------------
    def join(self, client: ChatClient, room: str) -> None:
        client.send(json.dumps({"command": "join", "room": room}))

    def leave(self, client: ChatClient, room: str) -> None:
        client.send(json.dumps({"command": "leave", "room": room}))

    def send_to_room(self, client: ChatClient, room: str, text: str) -> None:
        client.send(json.dumps({"command": "send", "room": room, "message": text}))

    def fields(self, frame_text: str) -> dict:
        return parse_frame(frame_text)


@functools.lru_cache(maxsize=4096)  # waits re-read a whole inbox each time: decode each frame once
def parse_frame(frame_text: str) -> dict:
    """A server frame as a dict ({} when it is not a JSON object); read-only, it is shared."""
    try:
        frame = json.loads(frame_text)
    except ValueError:
        return {}
    return frame if isinstance(frame, dict) else {}


def _daphne(python: Path, bin_dir: Path, port: int) -> list[str]:
    return [str(bin_dir / "daphne"), "-b", "127.0.0.1", "-p", str(port), ASGI_APP]


def _uvicorn(python: Path, bin_dir: Path, port: int) -> list[str]:
    # uvicorn tells ASGI 2 (Channels 2) from ASGI 3 apps by itself.
    return [
        str(bin_dir / "uvicorn"),
        ASGI_APP,
        *("--host", "127.0.0.1", "--port", str(port)),
        *("--ws", "websockets"),
        *("--lifespan", "off"),  # Channels' router has no lifespan protocol
        "--no-access-log",
    ]


class ChannelsStack(Stack):
    family = "channels"
    project_dir = CHATSERVERS / "channels"
    fixtures = (FIXTURES / "users.json", FIXTURES / "rooms.json")

    def commands(self) -> Mapping[str, Command]:
        return {"runserver": manage_py_runserver, "daphne": _daphne, "uvicorn": _uvicorn}

    def protocol(self, session_tag: str) -> ChannelsProtocol:
        return ChannelsProtocol(session_tag)

    def page_protocol(self) -> ChannelsProtocol:
        return ChannelsProtocol(PAGE_SESSION)

    def probe_socket_path(self) -> str:
        return "/ws/probe/"
