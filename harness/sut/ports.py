"""Free loopback ports, so parallel envs never collide on a fixed one.

A port the kernel hands out for ``bind(0)`` comes from the ephemeral range,
the same range it uses for outgoing connections: between our check and the
server's own bind, a client socket of a parallel env may take it.  So ports
are drawn below that range instead, and reserved with a lock file that the
driver holds until it exits: two `harness run` processes (``tox -p``) never
pick the same port, and a port found bound by anyone else is skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import socket
import tempfile
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"
PORT_RANGE = (20000, 32000)  # below Linux's default ephemeral range (32768-60999)
ATTEMPTS = 200

_held: list[IO[bytes]] = []  # reservations, released when the driver exits


def _lock_dir() -> Path:
    folder = Path(tempfile.gettempdir()) / f"harness-ports-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _reserve(port: int) -> bool:
    """Hold ``port``'s lock file; False when another driver holds it."""
    handle = open(_lock_dir() / f"{port}.lock", "ab")  # noqa: SIM115 - kept open: it is the reservation
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _held.append(handle)
    return True


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port of 127.0.0.1 that nobody listens on and no other driver has reserved."""
    low, high = PORT_RANGE
    for _ in range(ATTEMPTS):
        port = random.randint(low, high)
        if _reserve(port):
            if _bindable(port):
                return port
            release(port)
    # Everything reserved or busy: fall back to the kernel's choice.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def release(port: int) -> None:
    """Give a reservation back early (it also ends when the process does)."""
    suffix = f"{os.sep}{port}.lock"
    for handle in [h for h in _held if h.name.endswith(suffix)]:
        _held.remove(handle)
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
