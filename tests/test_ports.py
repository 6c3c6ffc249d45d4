"""Ports are reserved across parallel drivers and drawn outside the ephemeral range."""

from __future__ import annotations

import itertools
import subprocess
import sys
from collections.abc import Iterator

import pytest

from harness.sut import ports

HOLDER = "from harness.sut import ports; print(ports.free_port(), flush=True); input()"


def test_ports_are_distinct_and_below_the_ephemeral_range() -> None:
    drawn = [ports.free_port() for _ in range(20)]
    assert len(set(drawn)) == len(drawn)
    assert all(ports.PORT_RANGE[0] <= port <= ports.PORT_RANGE[1] for port in drawn)


def test_a_port_reserved_by_another_driver_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The other driver only holds the reservation (nothing listens on the port yet, as
    between drawing a port and starting a server): only the lock file keeps it apart."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        taken = int(holder.stdout.readline())
        real_randint = ports.random.randint

        def draw_taken_first() -> None:
            candidates: Iterator[int] = itertools.chain([taken], iter(lambda: real_randint(*ports.PORT_RANGE), None))
            monkeypatch.setattr(ports.random, "randint", lambda low, high: next(candidates))

        draw_taken_first()
        assert ports.free_port() != taken
        # Without the reservation the same draw would hand out the other driver's port.
        draw_taken_first()
        with monkeypatch.context() as unreserved:
            unreserved.setattr(ports, "_reserve", lambda port: True)
            assert ports.free_port() == taken
    finally:
        holder.communicate("\n", timeout=10)
