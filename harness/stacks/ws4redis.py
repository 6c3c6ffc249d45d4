"""django-websocket-redis: broadcast over the socket, user and group messages by
HTTP POST to views that call ws4redis's RedisPublisher (as the upstream example).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from harness.clients import ChatClient
from harness.paths import CHATSERVERS
from harness.stacks.base import HTTP, SOCKET, Command, Protocol, Stack, manage_py_runserver

PROJECT_DIR = CHATSERVERS / "ws4redis"

HEARTBEAT = "--heartbeat--"  # WS4REDIS_HEARTBEAT in chatservers/ws4redis settings
PAGE_FACILITY = "chat"  # chatserver/views.py DEFAULT_FACILITY: the chat page's facility
SUBSCRIPTIONS = "subscribe-broadcast&publish-broadcast&subscribe-user&subscribe-group&echo"


class Ws4redisProtocol(Protocol):
    heartbeats = frozenset({HEARTBEAT})
    # As the upstream example: browsers broadcast; private and group messages
    # are published by views.
    publish_paths = {"broadcast": (SOCKET,), "user": (HTTP,), "group": (HTTP,)}

    def __init__(self, facility: str) -> None:
        self.facility = facility

    def socket_path(self) -> str:
        # "echo": ws4redis otherwise withholds a sender's own message from its socket.
        return f"/ws/{self.facility}?{SUBSCRIPTIONS}"

    def send(self, sender: ChatClient, kind: str, target: str, text: str, path: str) -> None:
        if (kind, path) == ("broadcast", SOCKET):
            sender.send(text)
        elif (kind, path) == ("user", HTTP):
            sender.post("/userchat/", {"user": target, "message": text, "facility": self.facility})
        elif (kind, path) == ("group", HTTP):
            sender.post("/groupchat/", {"group": target, "message": text, "facility": self.facility})
        else:
            raise ValueError(f"ws4redis chat server has no {path} path for {kind} messages")


def _uwsgi(python: Path, bin_dir: Path, port: int) -> list[str]:
    return [
        str(bin_dir / "uwsgi"),
        *("--http", f"127.0.0.1:{port}", "--http-websockets"),
        *("--gevent", "100"),
        *("--module", "chatserver.wsgi:application"),
        *("--home", str(bin_dir.parent), "--chdir", str(PROJECT_DIR)),
        *("--need-app", "--die-on-term", "--master"),
        *("--processes", "1"),
        "--disable-logging",
    ]


class Ws4redisStack(Stack):
    family = "ws4redis"
    project_dir = PROJECT_DIR

    def commands(self) -> Mapping[str, Command]:
        return {"runserver": manage_py_runserver, "uwsgi": _uwsgi}

    def protocol(self, session_tag: str) -> Ws4redisProtocol:
        return Ws4redisProtocol(facility=f"chat-{session_tag}")

    def page_protocol(self) -> Ws4redisProtocol:
        return Ws4redisProtocol(facility=PAGE_FACILITY)

    def probe_socket_path(self) -> str:
        return "/ws/probe?subscribe-broadcast"
