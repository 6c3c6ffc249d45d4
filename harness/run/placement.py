"""Where admin, john and mary are placed when a mode runs as several server
processes (``harness run --processes N``): user i on process i mod N, so with
3 or more processes each is on a different one.  A cell "crosses processes"
when some expected recipient is not on the sender's process: only a channel
layer shared by the processes (Redis) can deliver it, and the in-memory layer
cannot (it is for one process only)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from harness.fixtures import GROUPS, USERS


def placement(urls: Sequence[str], users: Sequence[str] = USERS) -> dict[str, int]:
    """Each user's process index (0-based)."""
    return {user: i % len(urls) for i, user in enumerate(users)} if urls else {}


def recipients(kind: str, target: str) -> tuple[str, ...]:
    if kind == "broadcast":
        return USERS
    if kind == "group":
        return GROUPS[target]
    return (target,)


def crossing(kind: str, sender: str, target: str, where: Mapping[str, int]) -> list[str]:
    """The expected recipients on another process than the sender's."""
    if not where:
        return []
    return [user for user in recipients(kind, target) if where[user] != where[sender]]


def crossing_note(kind: str, sender: str, target: str, where: Mapping[str, int]) -> str:
    others = crossing(kind, sender, target, where)
    if not others:
        return ""
    on = ", ".join(f"{user} on process {where[user] + 1}" for user in others)
    return f"crosses processes: {sender} on process {where[sender] + 1}, {on}"
