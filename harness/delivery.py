"""The delivery matrix and how one cell is observed.

A cell is one message of one kind from one sender to one target.  It is ✓ only
when every expected recipient got it exactly once and intact and nobody else
got it.  "Nobody else" is settled by a barrier, not a sleep: after the probe,
a marker is broadcast, and since each client's frames arrive in publish order,
a client that has the marker and not the probe will not get the probe later.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping
from dataclasses import dataclass

from harness.clients import ChatClient, ClientError, Frame
from harness.stacks.base import Protocol

USERS = ("admin", "john", "mary")
GROUPS: Mapping[str, tuple[str, ...]] = {"chatusers": ("john", "mary")}
EVERYBODY = "everybody"

DELIVERY_TIMEOUT = 3.0
BARRIER_TIMEOUT = 3.0
WARMUP_TIMEOUT = 5.0
WARMUP_INTERVAL = 0.25


@dataclass(frozen=True)
class CellSpec:
    kind: str  # "broadcast" | "user" | "group"
    sender: str
    target: str  # "everybody", a user name, or a group name

    @property
    def expected(self) -> tuple[str, ...]:
        if self.kind == "broadcast":
            return USERS
        if self.kind == "group":
            return GROUPS[self.target]
        return (self.target,)

    def __str__(self) -> str:
        return f"{self.kind}-{self.sender}-{self.target}"


def delivery_cells() -> list[CellSpec]:
    """3 broadcast, 9 user and 3 group cells, in the seed report's order."""
    cells = [CellSpec("broadcast", sender, EVERYBODY) for sender in USERS]
    cells += [CellSpec("user", sender, target) for sender in USERS for target in USERS]
    cells += [CellSpec("group", sender, group) for sender in USERS for group in GROUPS]
    return cells


@dataclass
class DeliveryResult:
    server: str
    kind: str
    sender: str
    target: str
    expected: list[str]
    received: list[str]  # one entry per copy received, so duplicates show
    ok: bool
    latency_ms: float | None
    detail: str

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

    def __init__(self, base_url: str, server: str, protocol: Protocol, session_tag: str) -> None:
        self.server = server
        self.protocol = protocol
        self.session_tag = session_tag
        self.clients: dict[str, ChatClient] = {}
        try:
            for user in USERS:
                client = ChatClient(base_url, user, ignore=protocol.heartbeats)
                self.clients[user] = client
                client.login()
                client.connect(protocol.socket_path())
        except BaseException:
            self.close()
            raise
        self._await_subscriptions()

    def close(self) -> None:
        for client in self.clients.values():
            client.close()

    def _await_subscriptions(self) -> None:
        """Broadcast until every client has seen one: a 101 answer does not mean
        the server has subscribed the socket yet (ws4redis subscribes after it).
        Bounded and best effort: a client that never sees one fails its cells."""
        deadline = time.monotonic() + WARMUP_TIMEOUT
        missing: list[str] = list(USERS)
        while missing and time.monotonic() < deadline:
            try:
                self.protocol.send_broadcast(self.clients["admin"], self._message_id("warmup"))
            except ClientError:
                return
            waited_until = min(deadline, time.monotonic() + WARMUP_INTERVAL)
            for user in list(missing):
                seen = self.clients[user].inbox.wait_for(
                    lambda frames: any(self.protocol.decode(f.text).startswith("warmup:") for f in frames),
                    max(0.0, waited_until - time.monotonic()),
                )
                if seen:
                    missing.remove(user)

    def _message_id(self, label: str) -> str:
        return f"{label}:{self.session_tag}:{next(self._ids)}"

    def send(self, kind: str, sender: str, target: str, text: str) -> None:
        client = self.clients[sender]
        if kind == "broadcast":
            self.protocol.send_broadcast(client, text)
        elif kind == "user":
            self.protocol.send_user(client, target, text)
        elif kind == "group":
            self.protocol.send_group(client, target, text)
        else:
            raise ValueError(f"unknown delivery kind {kind!r}")

    def _has(self, text: str):  # noqa: ANN202 - a small predicate factory
        return lambda frames: any(self.protocol.decode(f.text) == text for f in frames)

    def _wait_all(self, users: tuple[str, ...], text: str, timeout: float) -> list[str]:
        """Wait (one shared deadline) until each user has ``text``; return who has not."""
        deadline = time.monotonic() + timeout
        missing = []
        for user in users:
            remaining = max(0.0, deadline - time.monotonic())
            if not self.clients[user].inbox.wait_for(self._has(text), remaining):
                missing.append(user)
        return missing

    def frames_since(self, marks: Mapping[str, int]) -> dict[str, list[Frame]]:
        out = {}
        for user, client in self.clients.items():
            frames = client.inbox.snapshot()[marks[user] :]
            out[user] = [Frame(self.protocol.decode(f.text), f.at) for f in frames]
        return out

    def check(self, cell: CellSpec, body: str | None = None) -> DeliveryResult:
        """Send one probe for ``cell`` (optionally with ``body`` as its text) and judge it."""
        message_id = self._message_id("probe")
        text = f"{message_id} {body or f'{cell.kind} from {cell.sender} to {cell.target}'}"
        marks = {user: len(c.inbox.snapshot()) for user, c in self.clients.items()}
        sent_at = time.monotonic()
        notes: list[str] = []
        send_failed = False  # e.g. the publish view answered 500: a failure even if it published
        try:
            self.send(cell.kind, cell.sender, cell.target, text)
        except ClientError as exc:
            send_failed = True
            notes.append(f"send failed: {exc}")
        self._wait_all(cell.expected, text, DELIVERY_TIMEOUT)
        barrier = self._message_id("barrier")
        try:
            self.protocol.send_broadcast(self.clients["admin"], barrier)
            late = self._wait_all(USERS, barrier, BARRIER_TIMEOUT)
        except ClientError as exc:
            late = list(USERS)
            notes.append(f"barrier send failed: {exc}")
        if late:
            # Without the marker we cannot prove absence; we waited the full
            # timeout instead, and say so.
            notes.append(f"barrier not seen by {', '.join(late)}")
        frames = self.frames_since(marks)
        ok, received, latency, problems = judge(cell, text, message_id, frames, sent_at)
        notes += [
            f"{user}'s socket: {c.inbox.closed_reason}" for user, c in self.clients.items() if c.inbox.closed_reason
        ]
        ok = ok and not send_failed
        return DeliveryResult(
            server=self.server,
            kind=cell.kind,
            sender=cell.sender,
            target=cell.target,
            expected=list(cell.expected),
            received=received,
            ok=ok,
            latency_ms=latency,
            detail="; ".join(problems + notes),
        )
