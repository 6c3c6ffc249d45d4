"""Kernel socket buffers on loopback, for the slow-reader check (issue 12): how much a
TCP connection to 127.0.0.1 holds between a server's send() and a client that does
not read, and what one connection holds right now.

The capacity is measured, not assumed: on loopback the writer's send buffer starts
at tcp_wmem's maximum (4 MiB here, of which the kernel's per-packet overhead leaves
~2.9 MiB of payload), and a reader that sets SO_RCVBUF before connecting gets twice
that (8 KiB for 4 KiB) with autotuning off.  A socket pair of our own, on the same
kernel and sysctls, fills exactly as the server's connection does.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from pathlib import Path

SLOW_RCVBUF = 4096  # bytes asked for before connect (the kernel doubles it)
PROC_NET_TCP = Path("/proc/net/tcp")
# include/net/tcp_states.h
TCP_STATES = {
    1: "ESTABLISHED",
    2: "SYN_SENT",
    3: "SYN_RECV",
    4: "FIN_WAIT1",
    5: "FIN_WAIT2",
    6: "TIME_WAIT",
    7: "CLOSE",
    8: "CLOSE_WAIT",
    9: "LAST_ACK",
    10: "LISTEN",
    11: "CLOSING",
}
FILL_STALL = 0.05  # seconds without progress after which the pair counts as full
FILL_BOUND = 2.0  # seconds the measurement may take at most


@dataclass(frozen=True)
class Queues:
    """One connection as /proc/net/tcp shows it, seen from both ends."""

    state: str  # the server end's TCP state ("ESTABLISHED", "FIN_WAIT1", ...), or "gone"
    server_unsent: int  # bytes the server's kernel still holds for the client (its tx_queue)
    client_unread: int  # bytes in the client's receive queue (its rx_queue)


def loopback_capacity(rcvbuf: int = SLOW_RCVBUF) -> int:
    """Bytes a writer can hand to the kernel on a loopback connection whose reader set
    ``rcvbuf`` before connecting and then never reads (bounded by FILL_BOUND)."""
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        reader = stack.enter_context(socket.socket())
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        reader.settimeout(FILL_BOUND)
        reader.connect(listener.getsockname())
        writer, _ = listener.accept()
        stack.enter_context(writer)
        writer.setblocking(False)
        chunk = b"\0" * 65536
        written, stalled_since = 0, time.monotonic()
        deadline = stalled_since + FILL_BOUND
        while time.monotonic() < deadline:
            try:
                written += writer.send(chunk)
                stalled_since = time.monotonic()
            except BlockingIOError:
                if time.monotonic() - stalled_since > FILL_STALL:
                    break
                time.sleep(0.005)
        return written


def _proc_addr(host: str, port: int) -> str:
    """ "0100007F:1F90": /proc/net/tcp's form of 127.0.0.1:8080 (address in host byte order)."""
    return f"{int.from_bytes(socket.inet_aton(host), 'little'):08X}:{port:04X}"


def connection_queues(client: tuple[str, int], server: tuple[str, int]) -> Queues:
    """Both ends of the IPv4 connection client <-> server (Linux; "gone" if the server's
    end is no longer listed, e.g. closed and reaped)."""
    ours, theirs = _proc_addr(*client), _proc_addr(*server)
    state, unsent, unread = "gone", 0, 0
    with contextlib.suppress(OSError):
        for line in PROC_NET_TCP.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) < 5:
                continue
            local, remote, st = fields[1], fields[2], int(fields[3], 16)
            tx_queue, rx_queue = (int(part, 16) for part in fields[4].split(":"))
            if (local, remote) == (theirs, ours):
                state, unsent = TCP_STATES.get(st, str(st)), tx_queue
            elif (local, remote) == (ours, theirs):
                unread = rx_queue
    return Queues(state, unsent, unread)
