"""Delivery accounting for load runs, one per Locust process.

Every message carries its kind, an id and its send time.  At send time the
tracker knows exactly who must receive it: the clients of this process's chat
session that are connected and subscribed (each process is its own session,
so no other process's clients can receive it).  Each receipt then becomes one
outcome: a delivery with its real latency, a duplicate, a leak to someone who
should not have it, or (after ``loss_timeout``) a loss.

Pure Python and clock-injected: no gevent, no Locust, so it is unit-tested.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from harness.stacks.base import KINDS

MARK = "L"  # first field of every load message
SEP = "|"

# Outcome.request_type values; "deliver" is the only success.
DELIVER, LOST, DUPLICATE, LEAK, LATE, UNKNOWN = "deliver", "lost", "duplicate", "unexpected", "late", "unknown"
# Open loop: the same deliveries timed from the real send, and schedule slots never sent.
DELIVER_FROM_SEND, UNSENT = "deliver-from-send", "unsent"


class Outcome(NamedTuple):
    request_type: str
    kind: str
    ms: float  # delivery latency for "deliver" (from the scheduled send time); time since sending otherwise
    length: int
    error: str | None
    ms_from_send: float | None = None  # "deliver" only: latency from the moment it really left


@dataclass(frozen=True)
class LoadMessage:
    kind: str
    msg_id: str
    sent_at: float  # wall clock (time.time()) of the sender
    # When the sender's schedule wanted it sent (open loop); not on the wire.
    scheduled_at: float | None = field(default=None, compare=False)

    def encode(self, size: int) -> str:
        head = SEP.join((MARK, self.kind, self.msg_id, f"{self.sent_at:.6f}")) + SEP
        return head + "x" * max(0, size - len(head))

    @staticmethod
    def decode(text: str) -> LoadMessage | None:
        """The message a frame carries, or None when it is not a load message."""
        parts = text.split(SEP, 4)
        if len(parts) < 4 or parts[0] != MARK or parts[1] not in KINDS:
            return None
        try:
            return LoadMessage(parts[1], parts[2], float(parts[3]))
        except ValueError:
            return None


@dataclass(frozen=True)
class Member:
    client_id: int
    username: str
    groups: frozenset[str]
    joined_at: float


@dataclass
class Pending:
    message: LoadMessage
    expected: frozenset[int]
    waiting: set[int]
    received: set[int] = field(default_factory=set)
    lost: set[int] = field(default_factory=set)
    swept: bool = False


class Tracker:
    """Who is in the session, what each message must reach, and what did."""

    def __init__(self, process_tag: str, loss_timeout: float, rng: random.Random | None = None) -> None:
        self.process_tag = process_tag
        self.loss_timeout = loss_timeout
        self.members: dict[int, Member] = {}
        self.pending: dict[str, Pending] = {}  # insertion order is send order
        self._serial = 0
        self._rng = rng or random.Random()

    # Membership --------------------------------------------------------------
    def join(self, client_id: int, username: str, groups: Iterable[str], now: float) -> None:
        self.members[client_id] = Member(client_id, username, frozenset(groups), now)

    def leave(self, client_id: int, now: float, broken: bool = False) -> list[Outcome]:
        """Forget a client; a broken connection turns what it still awaited into losses."""
        self.members.pop(client_id, None)
        outcomes = []
        for entry in self.pending.values():
            if client_id in entry.waiting:
                entry.waiting.discard(client_id)
                if broken:
                    entry.lost.add(client_id)
                    outcomes.append(self._failure(LOST, entry, now, "connection lost before delivery"))
        return outcomes

    # Sending -------------------------------------------------------------------
    def choose_target(self, kind: str, sender: str) -> str | None:
        """A target that has at least one subscribed client, or None when there is none."""
        if kind == "broadcast":
            return "everybody" if self.members else None
        if kind == "user":
            names = sorted({m.username for m in self.members.values()})
            others = [n for n in names if n != sender]
            pool = others or names
            return self._rng.choice(pool) if pool else None
        if kind == "group":
            groups = sorted({g for m in self.members.values() for g in m.groups})
            return self._rng.choice(groups) if groups else None
        raise ValueError(f"unknown kind {kind!r}")

    def audience(self, kind: str, target: str) -> frozenset[int]:
        if kind == "broadcast":
            return frozenset(self.members)
        if kind == "user":
            return frozenset(cid for cid, m in self.members.items() if m.username == target)
        return frozenset(cid for cid, m in self.members.items() if target in m.groups)

    def expect(self, kind: str, target: str, now: float, scheduled_at: float | None = None) -> LoadMessage:
        """Register a message about to be sent; its expected recipients are fixed now.

        ``scheduled_at``: when the sender's schedule wanted it sent (default: now)."""
        self._serial += 1
        message = LoadMessage(kind, f"{self.process_tag}.{self._serial}", now, scheduled_at)
        expected = self.audience(kind, target)
        self.pending[message.msg_id] = Pending(message, expected, set(expected))
        return message

    def cancel(self, message: LoadMessage) -> None:
        """The send failed: nobody is waiting for this message any more."""
        self.pending.pop(message.msg_id, None)

    # Receiving -------------------------------------------------------------------
    def received(self, client_id: int, text: str, now: float) -> Outcome | None:
        """What one frame received by ``client_id`` means; None for frames that are not load messages."""
        message = LoadMessage.decode(text)
        if message is None:
            return None
        entry = self.pending.get(message.msg_id)
        member = self.members.get(client_id)
        if entry is None:
            if not message.msg_id.startswith(self.process_tag + "."):
                return self._failure(LEAK, None, now, "message of another session", message)
            return self._failure(UNKNOWN, None, now, "message id unknown or long expired", message)
        if client_id in entry.received:
            return self._failure(DUPLICATE, entry, now, "received more than once")
        if client_id in entry.lost:
            entry.lost.discard(client_id)
            entry.received.add(client_id)
            return self._failure(LATE, entry, now, f"arrived after the {self.loss_timeout:g} s loss timeout")
        if client_id not in entry.expected:
            # A client that subscribed after the send may legitimately get a
            # broadcast; one that was subscribed before must not get others' mail.
            if member is None or member.joined_at > entry.message.sent_at or entry.message.kind == "broadcast":
                return None
            return self._failure(LEAK, entry, now, "received by a client that is not a recipient")
        entry.waiting.discard(client_id)
        entry.received.add(client_id)
        sent = entry.message
        scheduled = sent.sent_at if sent.scheduled_at is None else min(sent.scheduled_at, sent.sent_at)
        from_send = max(0.0, (now - sent.sent_at) * 1000.0)
        return Outcome(DELIVER, message.kind, max(0.0, (now - scheduled) * 1000.0), len(text), None, from_send)

    # Time ----------------------------------------------------------------------
    def sweep(self, now: float) -> list[Outcome]:
        """Losses of recipients still waiting after the loss timeout; forgets old messages."""
        outcomes = []
        for msg_id in list(self.pending):
            entry = self.pending[msg_id]
            age = now - entry.message.sent_at
            if age < self.loss_timeout:
                break  # later entries are younger
            if not entry.swept:
                entry.swept = True
                for client_id in sorted(entry.waiting):
                    entry.lost.add(client_id)
                    outcomes.append(self._failure(LOST, entry, now, f"not delivered within {self.loss_timeout:g} s"))
                entry.waiting.clear()
            if age >= 2 * self.loss_timeout:
                del self.pending[msg_id]
        return outcomes

    def awaited(self) -> int:
        """How many (message, recipient) deliveries are still awaited."""
        return sum(len(entry.waiting) for entry in self.pending.values())

    def _failure(
        self, kind: str, entry: Pending | None, now: float, error: str, message: LoadMessage | None = None
    ) -> Outcome:
        message = message or (entry.message if entry else None)
        assert message is not None
        return Outcome(kind, message.kind, max(0.0, (now - message.sent_at) * 1000.0), 0, error)
