"""Scaling runs of ``harness load``: the process counts to run each server at
(``--processes 1,2,4``), and which of them a server mode takes (dev servers
run as one process only)."""

from __future__ import annotations

from harness.errors import BadInput
from harness.sut.spread import MAX_PROCESSES, check_processes, processes_for


def parse_counts(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` -> (1, 2, 4); each a whole number from 1 to MAX_PROCESSES, no repeats."""
    parts = [p.strip() for p in str(text).split(",")]
    if not all(parts):
        raise BadInput(f"--processes must be whole numbers from 1 to {MAX_PROCESSES}, e.g. 1,2,4, got {text!r}")
    counts = tuple(check_processes(p) for p in parts)
    if len(set(counts)) != len(counts):
        raise BadInput(f"--processes names a count twice: {text!r}")
    return counts


def counts_for(mode: str, counts: tuple[int, ...]) -> tuple[int, ...]:
    """The counts a mode runs at: a dev server only once, as one process."""
    return tuple(dict.fromkeys(processes_for(mode, n) for n in counts))
