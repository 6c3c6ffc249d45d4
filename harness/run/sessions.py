"""The session checks a mode's server is kept running for, after its scenarios:
the idle check (every run) and, with ``--deep``, idle delivery after 65 s and
300 s and the dead-peer check.  harness/run/modes.py holds each mode's server
until its checks are ripe, while the later modes are driven.

In a deep run they open only once every mode's scenarios have run: a deep
scenario may restart the env's Redis (issue 12), and no long idle socket may
share a Redis with that restart (DECISIONS 5).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from harness.run.deadpeer import DEAD_PEER_CHECK, DeadPeer
from harness.run.idle import IDLE_CHECK, IdleSockets
from harness.run.plugin import Collector
from harness.run.redis_restart import CHECK as REDIS_RESTART_CHECK
from harness.run.slow_reader import CHECK as SLOW_READER_CHECK
from harness.run.vanishing import CHECK as VANISHING_CHECK
from harness.stacks.base import Stack
from harness.sut.serverlog import log_size, settle_log
from harness.sut.spread import ServerGroup

LONG_IDLE_SECONDS = (65.0, 300.0)  # longer than the common 20-60 s ping, proxy and HTTP timeouts


def long_idle_check(seconds: float) -> str:
    return f"{IDLE_CHECK} after {seconds:.0f} s"


HEAVY_CHECKS = (REDIS_RESTART_CHECK, VANISHING_CHECK, SLOW_READER_CHECK)  # the deep scenarios' checks (issue 12)


def deep_items(long_idle: Sequence[float] = LONG_IDLE_SECONDS, heavy: Sequence[str] = HEAVY_CHECKS) -> tuple[str, ...]:
    """The deep checks' items: long or heavy, so a failure of theirs does not re-run the
    mode (minutes more); absent from a run without them, so an entry naming only them is
    not stale there.  No long idle check, no dead peer either (open_deep_checks)."""
    sessions = [long_idle_check(seconds) for seconds in long_idle] + [DEAD_PEER_CHECK] * bool(long_idle)
    return tuple(f"check:{name}" for name in (*sessions, *heavy))


class Watch(Protocol):
    """A session check in progress: ripe at some time, then judged into a results entry."""

    @property
    def ripe_at(self) -> float: ...

    def deliver(self) -> dict[str, object]: ...

    def close(self) -> None: ...


@dataclass
class HeldMode:
    """A mode whose scenarios ran; its server stays up until its session checks are judged."""

    server: ServerGroup
    attempt: int
    collector: Collector
    watches: list[Watch] = field(default_factory=list)
    held: bool = False  # deep: its checks open once every mode's scenarios ran
    # The scenarios marked late, run once the session checks are judged (they may break
    # the server's other sockets); their observations join the mode's.
    late: Callable[[], Collector] | None = None

    @property
    def ready_at(self) -> float:
        """When its next check ripens (each is judged on its own time); 0 once none is left."""
        if self.held:
            return float("inf")
        return min((watch.ripe_at for watch in self.watches), default=0.0)

    @property
    def judged(self) -> bool:
        return not self.held and not self.watches

    def judge_ripe(self, now: float) -> None:
        """Each ripe check's entry into the mode's checks; its sockets closed.  What the
        server logs when a silent client vanishes is that check's own observation."""
        for watch in [w for w in self.watches if w.ripe_at <= now]:
            self.watches.remove(watch)
            provokes = isinstance(watch, DeadPeer)
            start = log_size(self.server.log_path) if provokes else 0
            try:
                self.collector.checks.append(watch.deliver())
            finally:
                watch.close()
            if provokes:
                settle_log(self.server.log_path)
                self.collector.provoked.append((DEAD_PEER_CHECK, start, log_size(self.server.log_path)))

    def close(self) -> None:
        for watch in self.watches:
            watch.close()


def idle_sockets(server: ServerGroup, stack: Stack, seconds: float, name: str = IDLE_CHECK) -> IdleSockets:
    """Idle sockets for ``server``, logged in (before any other login: see IdleSockets.log_in), not yet open."""
    return IdleSockets(name, server.record.name, seconds, stack, server.log_path)


def open_deep_checks(
    held: Sequence[HeldMode], stack: Stack, idle_seconds: float, long_idle: Sequence[float] = LONG_IDLE_SECONDS
) -> None:
    """Open every held mode's session checks: the idle check, the long ones and the dead
    peer (none of those two with an empty ``long_idle``)."""
    for mode in held:
        if not mode.server.record.started:
            mode.held = False
            continue
        base_url = mode.server.base_url
        plans = [(idle_seconds, IDLE_CHECK)] if idle_seconds > 0 else []
        plans += [(seconds, long_idle_check(seconds)) for seconds in long_idle]
        opened = []
        for seconds, name in plans:
            sockets = idle_sockets(mode.server, stack, seconds, name)
            opened.append(sockets.open(base_url, sockets.log_in(base_url)))
        quiet = time.monotonic()  # the last warm-up was the last traffic to this server
        for sockets in opened:
            sockets.server_quiet_since = quiet
        mode.watches += opened
        if long_idle:
            mode.watches.append(DeadPeer(mode.server.record.name, stack).open(base_url))
        mode.held = False
