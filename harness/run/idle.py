"""The idle check: admin, john and mary each hold a socket that stays quiet, as a
browser's does between messages (pings answered by websocket-client, nothing
sent), then a broadcast, a private and a group message must each arrive once,
at the right person, on a socket that is still open.

Each mode's idle sockets are opened while its scenarios run and delivered to
once they have been quiet long enough, while the later modes are driven
(harness/run/modes.py): the wait costs an env about one idle period, not one
per mode.  They have their own session tag, so no scenario traffic reaches them.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from harness.clients import ChatClient
from harness.errors import ClientError
from harness.fixtures import GROUPS, USERS
from harness.run.delivery import EVERYBODY, CellSpec, ChatSession
from harness.stacks.base import Stack
from harness.sut.serverlog import first_exception_after, log_size

IDLE_SECONDS = 6.0
MAX_IDLE_SECONDS = 600.0  # every wait bounded: --idle above this is bad input
IDLE_CHECK = "idle sockets deliver"
FAMILY = "sessions"
GROUP = next(iter(GROUPS))


def idle_cells(stack: Stack) -> list[CellSpec]:
    """One broadcast, one private and one group message from admin, each on the stack's first path for it."""
    paths = stack.protocol("cells").publish_paths
    return [
        CellSpec("broadcast", "admin", EVERYBODY, paths["broadcast"][0]),
        CellSpec("user", "admin", "john", paths["user"][0]),
        CellSpec("group", "admin", GROUP, paths["group"][0]),
    ]


@dataclass
class IdleSockets:
    """One mode's quiet sockets, from their opening to their delivery check."""

    name: str
    server: str
    seconds: float
    stack: Stack
    log_path: Path
    session: ChatSession | None = None
    problem: str = ""  # why the sockets could not be opened
    quiet_since: float = 0.0  # when these sockets went quiet
    # When the harness's other traffic to this server ended (its scenarios): a
    # layer's own clocks (a blocking read's timeout) only run out on a quiet server.
    server_quiet_since: float = 0.0
    log_offset: int = 0
    _marks: dict[str, int] | None = None

    def log_in(self, base_url: str) -> dict[str, ChatClient]:
        """Log the users in, before the scenarios do: a first login re-hashes a fixture
        user's password, and a session logged in meanwhile would then be refused (403)."""
        clients: dict[str, ChatClient] = {}
        try:
            for user in USERS:
                clients[user] = ChatClient(base_url, user, ignore=self.stack.protocol("idle").heartbeats)
                clients[user].login()
        except ClientError as exc:
            self.problem = f"could not log in for the idle sockets: {exc}"
            for client in clients.values():
                client.close()
            return {}
        return clients

    def open(self, base_url: str, clients: dict[str, ChatClient]) -> IdleSockets:
        """Connect and warm up (the last harness traffic on these sockets until the delivery)."""
        tag = secrets.token_hex(4)
        if clients:
            try:
                self.session = ChatSession(base_url, self.server, self.stack.protocol(tag), tag, logged_in=clients)
            except ClientError as exc:
                self.problem = f"could not open the idle sockets: {exc}"
        self.quiet_since = time.monotonic()
        self.log_offset = log_size(self.log_path)
        if self.session is not None:
            self._marks = self.session.marks()
        return self

    @property
    def ripe_at(self) -> float:
        return max(self.quiet_since, self.server_quiet_since) + self.seconds

    def deliver(self) -> dict[str, object]:
        """The check's entry for the results: quiet time, then the three messages."""
        quiet = round(time.monotonic() - self.quiet_since, 1)
        ok, detail = self._judge(quiet)
        closes = self._close_times()
        value = f"closed after {min(closes):.1f} s" if closes else f"{quiet:.1f} s quiet"
        return {"name": self.name, "server": self.server, "ok": ok, "detail": detail, "family": FAMILY, "value": value}

    def _close_times(self) -> list[float]:
        if self.session is None:
            return []
        inboxes = [client.inbox for client in self.session.clients.values()]
        return [inbox.closed_at - self.quiet_since for inbox in inboxes if inbox.closed_at is not None]

    def _judge(self, quiet: float) -> tuple[bool, str]:
        session = self.session
        if session is None or self._marks is None:
            return False, self.problem
        closed = self._closed()
        if closed:
            return False, "; ".join(closed) + self._log_note()
        chatter = [
            f"{user} got {frame.text[:60]!r}"
            for user, frames in session.frames_since(self._marks).items()
            for frame in frames
            if not frame.text.startswith("warmup:")
        ]
        results = [session.check(cell) for cell in idle_cells(self.stack)]
        failed = [f"{r.kind} {r.sender}->{r.target}: {r.detail}" for r in results if not r.ok]
        closed = self._closed()
        if failed or chatter or closed:
            problems = failed + closed + [f"while quiet, {text}" for text in chatter]
            return False, f"after {quiet:.1f} s quiet: " + "; ".join(problems) + self._log_note()
        server_quiet = time.monotonic() - max(self.quiet_since, self.server_quiet_since)
        return True, (
            f"quiet {quiet:.1f} s (the server {server_quiet:.1f} s), then a broadcast, a private and a group "
            "message each arrived once"
        )

    def _closed(self) -> list[str]:
        """Who lost the socket, how (close code, or no close frame), after how long."""
        assert self.session is not None
        notes = []
        for user in USERS:
            inbox = self.session.clients[user].inbox
            if inbox.closed_reason is None:
                continue
            after = (inbox.closed_at or time.monotonic()) - self.quiet_since
            notes.append(f"{user}'s socket {inbox.closed_reason} after {after:.1f} s quiet")
        return notes

    def _log_note(self) -> str:
        first = first_exception_after(self.log_path, self.log_offset)
        return f"; server logged since: {first}" if first else ""

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
