"""What a server's process tree holds: resident memory and open file descriptors
(read from /proc through psutil), for the checks that want them back at baseline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

import psutil


@dataclass(frozen=True)
class Usage:
    rss_bytes: int
    fds: int


def tree_processes(pids: Iterable[int]) -> list[psutil.Process]:
    """Each of ``pids`` and its descendants, once each (one that exited is left out)."""
    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            procs.update({proc.pid: proc for proc in (root, *root.children(recursive=True))})
    return list(procs.values())


def tree_usage(pids: Iterable[int]) -> Usage:
    """The sum over each of ``pids`` and its descendants (a process that exits meanwhile counts nothing)."""
    return usage_of(tree_processes(pids))


def usage_of(procs: Iterable[psutil.Process]) -> Usage:
    """The sum over ``procs`` (one that exits meanwhile counts nothing)."""
    rss = fds = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            rss += proc.memory_info().rss
            fds += proc.num_fds()
    return Usage(rss, fds)
