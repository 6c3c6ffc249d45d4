"""The delivery matrix and how one cell is observed.

A cell is one message of one kind from one sender to one target.  It is ✓ only
when every expected recipient got it exactly once and intact and nobody else
got it.  "Nobody else" is settled by a barrier, not a sleep: after the probe,
a marker is broadcast, and since each client's frames arrive in publish order,
a client that has the marker and not the probe will not get the probe later.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.clients import WARMUP_INTERVAL, WARMUP_TIMEOUT, ChatClient, Frame
from harness.errors import ClientError
from harness.fixtures import GROUPS, USERS
from harness.run.placement import crossing_note, placement
from harness.stacks.base import SOCKET, Protocol

EVERYBODY = "everybody"

# Seconds to wait for a message and for the barrier.  HARNESS_DELIVERY_TIMEOUT
# shortens both for the harness's own tests of servers that deliver nothing.
DELIVERY_TIMEOUT = float(os.environ.get("HARNESS_DELIVERY_TIMEOUT", "3"))
BARRIER_TIMEOUT = DELIVERY_TIMEOUT
# A user whose socket got nothing at all since it connected, warm-up included
# (at least WARMUP_TIMEOUT of repeated broadcasts), is deaf: waiting the full
# delivery timeout for each of ~36 checks would take minutes to say what the
# warm-up already showed.  A deaf user's waits are this short, and the barrier
# does not wait for it; the first frame it gets makes it an ordinary user again.
DEAF_TIMEOUT = 0.1


def cell_item(path: str, kind: str, sender: str, target: str) -> str:
    """A cell's name as an item of the verdict: "cell:http-user-admin-john"."""
    return f"cell:{path}-{kind}-{sender}-{target}"


@dataclass(frozen=True)
class CellSpec:
    kind: str  # "broadcast" | "user" | "group"
    sender: str
    target: str  # "everybody", a user name, or a group name
    path: str = SOCKET  # how it is published: "socket" or "http"

    @property
    def expected(self) -> tuple[str, ...]:
        if self.kind == "broadcast":
            return USERS
        if self.kind == "group":
            return GROUPS[self.target]
        return (self.target,)

    def __str__(self) -> str:
        return f"{self.path}-{self.kind}-{self.sender}-{self.target}"

    @property
    def item(self) -> str:
        return cell_item(self.path, self.kind, self.sender, self.target)


def delivery_cells(publish_paths: Mapping[str, tuple[str, ...]]) -> list[CellSpec]:
    """3 broadcast, 9 user and 3 group cells (the seed report's order) per publish path.

    ``publish_paths`` maps each kind to the paths a stack offers for it, e.g.
    ws4redis {"broadcast": ("socket",), "user": ("http",), ...}: 15 cells.
    """
    cells = []
    for path in dict.fromkeys(p for paths in publish_paths.values() for p in paths):
        if path in publish_paths["broadcast"]:
            cells += [CellSpec("broadcast", sender, EVERYBODY, path) for sender in USERS]
        if path in publish_paths["user"]:
            cells += [CellSpec("user", sender, target, path) for sender in USERS for target in USERS]
        if path in publish_paths["group"]:
            cells += [CellSpec("group", sender, group, path) for sender in USERS for group in GROUPS]
    return cells


@dataclass
class DeliveryResult:
    server: str
    kind: str
    sender: str
    target: str
    path: str
    expected: list[str]
    received: list[str]  # one entry per copy received, so duplicates show
    ok: bool
    latency_ms: float | None
    detail: str

    @property
    def item(self) -> str:
        return cell_item(self.path, self.kind, self.sender, self.target)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def judge(
    cell: CellSpec, text: str, marker_id: str, frames: Mapping[str, list[Frame]], sent_at: float
) -> tuple[bool, list[str], float | None, list[str]]:
    """Verdict from what each client observed: (ok, received, latency_ms, problems)."""
    problems: list[str] = []
    received: list[str] = []
    latencies: list[float] = []
    for user in USERS:
        exact = [f for f in frames[user] if f.text == text]
        mangled = [f for f in frames[user] if marker_id + " " in f.text and f.text != text]
        received += [user] * len(exact)
        if mangled:
            problems.append(f"{user} got an altered copy: {mangled[0].text[:80]!r}")
        if user in cell.expected:
            if not exact:
                problems.append(f"{user} did not receive it")
            elif len(exact) > 1:
                problems.append(f"{user} received it {len(exact)} times")
            else:
                latencies.append((exact[0].at - sent_at) * 1000.0)
        elif exact:
            problems.append(f"{user} received it but should not have")
    complete = len(latencies) == len(cell.expected)
    latency = round(max(latencies), 2) if complete and latencies else None
    return not problems, received, latency, problems


class ChatSession:
    """admin, john and mary logged in and connected to one running chat server."""

    _ids = itertools.count(1)

    def __init__(
        self,
        base_url: str,
        server: str,
        protocol: Protocol,
        session_tag: str,
        urls: Sequence[str] = (),  # several server processes: one URL each
        logged_in: Mapping[str, ChatClient] | None = None,  # clients already logged in, to connect
        client_type: type[ChatClient] = ChatClient,  # DeflateChatClient: the compressed path
        warmup: float = WARMUP_TIMEOUT,  # DEAF_WARMUP where an earlier session was deaf
    ) -> None:
        self.server = server
        self.protocol = protocol
        self.session_tag = session_tag
        self.clients: dict[str, ChatClient] = dict(logged_in or {})
        # Several server processes: each user on its own (harness.run.placement).
        self.where = placement(urls) if len(urls) > 1 else {}
        try:
            for user in USERS:
                client = self.clients.get(user)
                if client is None:
                    url = urls[self.where[user]] if self.where else base_url
                    client = self.clients[user] = client_type(url, user, ignore=protocol.heartbeats)
                    client.login()
                client.connect(protocol.socket_path())
        except BaseException:
            self.close()
            raise
        self.subscribed_ms: dict[str, float] = {}  # from the 101 to the first warm-up broadcast seen
        self.reconnects: list[str] = []
        self._await_subscriptions(USERS, warmup)
        self.ready_after_101 = dict(self.subscribed_ms)  # the first connection's, for the report

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def _await_subscriptions(self, users: tuple[str, ...], warmup: float = WARMUP_TIMEOUT) -> None:
        """Broadcast until each of ``users`` has seen one: a 101 answer does not mean
        the server has subscribed the socket yet (ws4redis subscribes after it).
        Bounded and best effort: a client that never sees one fails its cells.
        How long each took is kept: the report shows it, rather than hide the wait."""
        connected = time.monotonic()
        deadline = connected + warmup
        missing: list[str] = list(users)
        while missing and time.monotonic() < deadline:
            try:
                self.broadcast_from_admin(self._message_id("warmup"))
            except ClientError:
                return
            waited_until = min(deadline, time.monotonic() + WARMUP_INTERVAL)
            for user in list(missing):
                seen = self.clients[user].inbox.wait_for(
                    lambda frames: self._warmup_at(frames) is not None, max(0.0, waited_until - time.monotonic())
                )
                if seen:
                    missing.remove(user)
                    at = self._warmup_at(self.clients[user].inbox.snapshot()) or connected
                    self.subscribed_ms[user] = round((at - connected) * 1000.0, 1)

    def _warmup_at(self, frames: list[Frame]) -> float | None:
        """When the first warm-up broadcast arrived among ``frames``."""
        return next((f.at for f in frames if self.protocol.decode(f.text).startswith("warmup:")), None)

    def deaf(self, user: str) -> bool:
        """Nothing at all reached ``user``'s socket since it connected (warm-up included)."""
        return user not in self.subscribed_ms and not self.clients[user].inbox.snapshot()

    def wait_timeout(self, user: str) -> float:
        return DEAF_TIMEOUT if self.deaf(user) else DELIVERY_TIMEOUT

    def reopen_closed_sockets(self) -> list[str]:
        """A check never inherits a socket that an earlier check got closed: reconnect
        (and warm up) each closed one; returns what was done, for the check's detail."""
        notes = []
        closed = {user: c.inbox.closed_reason for user, c in self.clients.items() if c.inbox.closed_reason}
        for user, reason in closed.items():
            self.subscribed_ms.pop(user, None)
            try:
                self.clients[user].reconnect(self.protocol.socket_path())
            except ClientError as exc:
                notes.append(f"{user}'s socket was {reason} and could not be reopened: {exc}")
                continue
            self.reconnects.append(f"{user} ({reason})")
            notes.append(f"reopened {user}'s socket, {reason} in an earlier check")
        if closed:
            self._await_subscriptions(tuple(u for u in closed if not self.clients[u].inbox.closed_reason))
        return notes

    def _message_id(self, label: str) -> str:
        return f"{label}:{self.session_tag}:{next(self._ids)}"

    def broadcast_from_admin(self, text: str) -> None:
        """A broadcast on the stack's first broadcast path (warm-ups and barriers).

        On several server processes, one copy from the first user of each
        process: a client needs one marker published through its own process,
        whatever the layer joins (the in-memory layer joins nothing)."""
        path = self.protocol.publish_paths["broadcast"][0]
        senders = {process: user for user, process in reversed(self.where.items())} if self.where else {0: "admin"}
        for user in sorted(senders.values(), key=USERS.index):
            self.protocol.send(self.clients[user], "broadcast", EVERYBODY, text, path)

    def _has(self, text: str):
        return lambda frames: any(self.protocol.decode(f.text) == text for f in frames)

    def _wait_all(self, users: tuple[str, ...], text: str, timeout: float) -> list[str]:
        """Wait (one shared deadline, shorter for deaf users) until each user has ``text``;
        return who has not."""
        began = time.monotonic()
        deadline, deaf_deadline = began + timeout, began + min(timeout, DEAF_TIMEOUT)
        missing = []
        for user in users:
            limit = deaf_deadline if self.deaf(user) else deadline
            if not self.clients[user].inbox.wait_for(self._has(text), max(0.0, limit - time.monotonic())):
                missing.append(user)
        return missing

    def barrier(self) -> list[str]:
        """Broadcast a marker and wait until everybody has it: afterwards, whatever
        was published before it and is not in an inbox will not arrive.  Returns
        notes for the verdict when that could not be established."""
        marker = self._message_id("barrier")
        deaf = [user for user in USERS if self.deaf(user)]
        try:
            self.broadcast_from_admin(marker)
        except ClientError as exc:
            return [f"barrier send failed: {exc}"]
        late = self._wait_all(tuple(u for u in USERS if u not in deaf), marker, BARRIER_TIMEOUT)
        # Without the marker we cannot prove absence; we waited the full timeout
        # instead, and say so.
        notes = [f"barrier not seen by {', '.join(late)}"] if late else []
        if deaf:
            notes.append(f"nothing at all reached {', '.join(deaf)} since connecting (deaf: no barrier wait)")
        return notes

    def marks(self) -> dict[str, int]:
        """How many frames each client has now: pass to ``frames_since`` later."""
        return {user: len(c.inbox.snapshot()) for user, c in self.clients.items()}

    def frames_since(self, marks: Mapping[str, int]) -> dict[str, list[Frame]]:
        out = {}
        for user, client in self.clients.items():
            frames = client.inbox.snapshot()[marks[user] :]
            out[user] = [Frame(self.protocol.decode(f.text), f.at) for f in frames]
        return out

    def _misattributed(self, marks: Mapping[str, int], text: str, sender: str) -> list[str]:
        """Copies of ``text`` whose frame names someone else as the sender."""
        problems = []
        for user, client in self.clients.items():
            for frame in client.inbox.snapshot()[marks[user] :]:
                claimed = self.protocol.sender_of(frame.text)
                if self.protocol.decode(frame.text) == text and claimed not in (None, sender):
                    problems.append(f"{user} got it as sent by {claimed!r}")
        return problems

    def check(self, cell: CellSpec, body: str | None = None) -> DeliveryResult:
        """Send one probe for ``cell`` (optionally with ``body`` as its text) and judge it."""
        notes = self.reopen_closed_sockets()
        message_id = self._message_id("probe")
        text = f"{message_id} {body or f'{cell.kind} from {cell.sender} to {cell.target}'}"
        marks = self.marks()
        sent_at = time.monotonic()
        send_failed = False  # e.g. the publish view answered 500: a failure even if it published
        try:
            self.protocol.send(self.clients[cell.sender], cell.kind, cell.target, text, cell.path)
        except ClientError as exc:
            send_failed = True
            notes.append(f"send failed: {exc}")
        self._wait_all(cell.expected, text, DELIVERY_TIMEOUT)
        notes += self.barrier()
        frames = self.frames_since(marks)
        ok, received, latency, problems = judge(cell, text, message_id, frames, sent_at)
        problems += self._misattributed(marks, text, cell.sender)
        notes += [
            f"{user}'s socket: {c.inbox.closed_reason}" for user, c in self.clients.items() if c.inbox.closed_reason
        ]
        ok = ok and not send_failed and not problems
        crossed = crossing_note(cell.kind, cell.sender, cell.target, self.where)
        if crossed and not ok:
            notes.append(crossed)
        return DeliveryResult(
            server=self.server,
            kind=cell.kind,
            sender=cell.sender,
            target=cell.target,
            path=cell.path,
            expected=list(cell.expected),
            received=received,
            ok=ok,
            latency_ms=latency,
            detail="; ".join(problems + notes),
        )
