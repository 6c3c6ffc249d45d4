"""Open-loop sending: each load user sends on a fixed schedule, whatever the
server does.

A closed loop (send, wait a pause, send again) quietly sends less when a
publish is slow, and so measures less of the tail it causes: coordinated
omission (Gil Tene; wrk2 sends on a schedule for this reason).  Here slot k of
a user is due at ``start + phase + k / rate``; a user that fell behind sends
its late slots at once, and a message's latency is counted from its slot's
time as well as from the moment it really left.  Slots that were due but never
sent (the run ended, or the socket broke) are counted as unsent, so offered
and achieved rates can be compared.

Pure Python and clock-injected, so it is unit-tested.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

BEHIND_FRACTION = 0.95  # achieved below this share of offered: the run fell behind
BEHIND_TEXT = "generator or publish path fell behind"


@dataclass
class Schedule:
    """The send slots of one user at ``rate`` per second, from ``start`` on."""

    rate: float
    start: float
    phase: float = 0.0  # spreads users over one period, so they do not send in step
    sent: int = 0  # slots taken
    skipped: int = 0  # slots that were due and never sent

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate must be > 0, got {self.rate}")

    @staticmethod
    def starting(rate: float, now: float, rng: random.Random | None = None) -> Schedule:
        return Schedule(rate, now, (rng or random).uniform(0.0, 1.0 / rate))

    def slot_time(self, index: int) -> float:
        return self.start + self.phase + index / self.rate

    def next_at(self) -> float:
        """When the next slot is due."""
        return self.slot_time(self.sent)

    def wait(self, now: float) -> float:
        """Seconds until the next slot (0 when it is due or late)."""
        return max(0.0, self.next_at() - now)

    def take(self) -> float:
        """Take the next slot; returns its scheduled time."""
        at = self.next_at()
        self.sent += 1
        return at

    def due(self, now: float) -> int:
        """How many slots were due by ``now`` (sent or not)."""
        if now < self.start + self.phase:
            return 0
        return int((now - self.start - self.phase) * self.rate) + 1

    def backlog(self, now: float) -> int:
        return max(0, self.due(now) - self.sent)

    def stop(self, now: float) -> int:
        """End the schedule: slots due and not sent become skipped; returns how many.

        A slot that came due less than one period (at most a second) ago is not
        counted: at the end of a run every user has one slot just due, and
        counting it would call a punctual generator late."""
        missed = self.backlog(now - min(1.0 / self.rate, 1.0))
        self.skipped += missed
        # Later calls must not count these again.
        self.start = float("inf")
        return missed


def behind(offered: int, achieved: int) -> bool:
    """Whether a run sent less than BEHIND_FRACTION of what its schedule offered."""
    return offered > 0 and achieved < BEHIND_FRACTION * offered
