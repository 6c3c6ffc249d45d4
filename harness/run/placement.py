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


def cross_process_finding(deliveries: list[dict], urls_count: int) -> dict[str, dict]:
    """Per mode: which failed cells cross processes and which do not.

    The in-memory layer is for one process only: on several it must fail
    exactly the crossing cells; a Redis-backed layer must fail none."""
    where = placement(["p"] * urls_count)
    out: dict[str, dict] = {}
    for cell in deliveries:
        mode = out.setdefault(cell["server"], {"crossing": set(), "failed_crossing": set(), "failed_other": set()})
        name = f"{cell['path']}-{cell['kind']}-{cell['sender']}-{cell['target']}"
        crosses = bool(crossing(cell["kind"], cell["sender"], cell["target"], where))
        if crosses:
            mode["crossing"].add(name)
        if not cell["ok"]:
            mode["failed_crossing" if crosses else "failed_other"].add(name)
    return {
        server: {
            "crossing_cells": len(m["crossing"]),
            "failed_crossing": len(m["failed_crossing"]),
            "failed_other": sorted(m["failed_other"]),
            "exactly_crossing": m["failed_crossing"] == m["crossing"] and not m["failed_other"],
        }
        for server, m in out.items()
    }


def finding_line(mode: str, finding: Mapping[str, object], processes: int) -> str:
    crossing_count, failed = finding["crossing_cells"], finding["failed_crossing"]
    if finding["exactly_crossing"]:
        return (
            f"{mode}: on {processes} processes it fails exactly the {crossing_count} cells that cross processes "
            "(its channel layer does not join processes: for one process only)"
        )
    if not failed and not finding["failed_other"]:
        return f"{mode}: every cell passes on {processes} processes, the {crossing_count} crossing ones included"
    return (
        f"{mode}: on {processes} processes {failed} of {crossing_count} crossing cells failed, "
        f"and {len(finding['failed_other'])} cells that stay on one process"  # type: ignore[arg-type]
    )
