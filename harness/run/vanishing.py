"""The vanishing clients check (issue 12, deep): clients that go away without a
goodbye must cost the server nothing once they are gone.

200 logged-in clients complete the WebSocket handshake on the chat socket path
(in waves of 50, so that a server with a bounded pool of connections, uWSGI's 100
gevent cores, is not judged on its capacity) and drop TCP without a close frame:
alternately a FIN (a closed tab, a killed process) and a RST (SO_LINGER 0, a
crashed client or a NAT box).  Then 50 clients send half an HTTP upgrade request
and nothing more; they are held for STALL_HOLD seconds while the server is asked
to serve a new client and a broadcast, then they vanish as well (FIN).

✓ when the server still serves (during the stall and afterwards) and, within
RECOVER_WITHIN seconds of the last client leaving, its process tree's open file
descriptors and resident memory are back *near* their baseline (fds_near, rss_near).
Whether the server itself drops a stalled handshake (a header timeout) is recorded,
not judged: the stalled clients are released before the recovery window, so a
server without such a timeout (most are, behind a proxy) is not failed for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psutil
import websocket

from harness.run.delivery import ChatSession
from harness.run.probes import HandshakeRefused, close_quietly, open_socket
from harness.run.robustness import Finding, health
from harness.sut.usage import Usage, tree_processes, usage_of

CHECK = "vanishing clients"
VANISHING = 200  # clients that complete the handshake, then drop TCP
WAVE = 50  # of them at once
STALLED = 50  # clients that stop halfway through the handshake
STALL_HOLD = 2.0  # seconds the stalled handshakes are held (the server may drop them meanwhile)
HANDSHAKE_TIMEOUT = 5.0  # each wave's bound
RECOVER_WITHIN = 10.0  # seconds after the last client left (issue 12)
POLL = 0.2
# "Near" the baseline: a leak of one descriptor per ten vanished clients (25) is
# not near.  Connections to Redis may grow by up to a wave (WAVE): a connection pool
# (channels_redis, ws4redis) grows to the peak of simultaneous clients and keeps
# its idle connections; a connection per vanished client (200) is still caught.
FD_SLACK = (VANISHING + STALLED) // 10
# Memory: back within 16 MiB of the baseline, or at least half of what the clients
# took at peak given back (Python keeps freed arenas, so exact is too strict; a
# server that keeps each client's state keeps nearly all of it).
RSS_SLACK = 16 * 2**20
MIB = 2**20


@dataclass(frozen=True)
class Reading:
    """The server tree's memory and open fds, and how many of those fds are TCP
    connections to the env's Redis (a layer's or ws4redis's connection pool)."""

    rss_bytes: int
    fds: int
    to_redis: int = 0

    @property
    def other_fds(self) -> int:
        return self.fds - self.to_redis


def peer_address(host: str, port: int) -> tuple[str, int]:
    """``host`` as a connection's peer address shows it (an IP), so that it can be matched."""
    try:
        return socket.gethostbyname(host), port
    except OSError:
        return host, port


def read_tree(pids: list[int], redis: tuple[str, int] | None) -> Reading:
    procs = tree_processes(pids)  # one walk of the tree for the usage and the Redis connections
    usage: Usage = usage_of(procs)
    if redis is None:
        return Reading(usage.rss_bytes, usage.fds)
    to_redis = 0
    for proc in procs:
        with contextlib.suppress(psutil.Error):
            to_redis += sum(1 for c in proc.net_connections("tcp") if c.raddr and tuple(c.raddr) == redis)
    return Reading(usage.rss_bytes, usage.fds, to_redis)


@dataclass
class Observed:
    """What the waves saw: handshakes that failed (why), the peak usage, the stalls."""

    refused: dict[str, int] = field(default_factory=dict)
    fins: int = 0
    rsts: int = 0
    upgraded: int = 0
    peak: Reading = Reading(0, 0)
    stalled_closed: list[float] = field(default_factory=list)  # seconds after sending, per closed stall
    waves_seconds: float = 0.0  # the 200's handshakes and drops, all waves
    stall_failed: dict[str, int] = field(default_factory=dict)  # stalled clients that could not even start

    def see(self, now: Reading) -> None:
        peak = self.peak
        self.peak = Reading(
            max(peak.rss_bytes, now.rss_bytes), max(peak.fds, now.fds), max(peak.to_redis, now.to_redis)
        )


def fds_near(baseline: Reading, now: Reading) -> bool:
    pool_grown = now.to_redis - baseline.to_redis
    return now.other_fds <= baseline.other_fds + FD_SLACK and pool_grown <= WAVE


def rss_near(baseline: Reading, peak: Reading, now: Reading) -> bool:
    grown = now.rss_bytes - baseline.rss_bytes
    return grown <= RSS_SLACK or grown <= (peak.rss_bytes - baseline.rss_bytes) / 2


def upgrade_request(base_url: str, path: str, cookie: str) -> bytes:
    """A browser's upgrade request for ``path``, with the server's own Origin."""
    host = urlsplit(base_url).netloc
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        f"Origin: {base_url}",
        f"Cookie: {cookie}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def partial_request(full: bytes) -> bytes:
    """The request line and Host header only: a client that stopped halfway."""
    return b"\r\n".join(full.split(b"\r\n")[:2]) + b"\r\n"


def _address(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


async def _handshake(
    address: tuple[str, int], request: bytes, deadline: float
) -> tuple[asyncio.StreamWriter | None, str]:
    """(the open connection, "") once the server answered 101; (None, why) otherwise."""
    writer = None
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(*address), deadline - time.monotonic())
        writer.write(request)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), max(0.01, deadline - time.monotonic()))
    except TimeoutError:
        why = f"no answer within {HANDSHAKE_TIMEOUT:.0f} s"
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        why = f"connection lost ({type(exc).__name__})"
    else:
        status = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        if status.split()[1:2] == ["101"]:
            return writer, ""
        why = f"answered {status.split(' ', 1)[-1][:40]}"
    if writer is not None:
        writer.transport.abort()
    return None, why


def _drop(writer: asyncio.StreamWriter, reset: bool) -> None:
    """Gone without a close frame: a FIN, or a RST (SO_LINGER on, 0 s)."""
    if reset:
        sock = writer.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    else:
        writer.close()


async def _waves(address: tuple[str, int], request: bytes, seen: Observed, usage: Callable[[], Reading]) -> None:
    for first in range(0, VANISHING, WAVE):
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        opened = await asyncio.gather(*(_handshake(address, request, deadline) for _ in range(WAVE)))
        seen.see(await asyncio.to_thread(usage))  # every client of the wave connected: a peak
        for number, (writer, why) in enumerate(opened, start=first):
            if writer is None:
                seen.refused[why] = seen.refused.get(why, 0) + 1
                continue
            seen.upgraded += 1
            reset = number % 2 == 1
            seen.rsts += reset
            seen.fins += not reset
            _drop(writer, reset)
        await asyncio.sleep(0)  # let the transports close


def vanish(base_url: str, path: str, cookie: str, usage: Callable[[], Reading], seen: Observed) -> None:
    """The 200, in waves of WAVE: handshake, then drop."""
    began = time.monotonic()
    asyncio.run(_waves(_address(base_url), upgrade_request(base_url, path, cookie), seen, usage))
    seen.waves_seconds = time.monotonic() - began


def stall(base_url: str, request: bytes, seen: Observed) -> list[socket.socket]:
    """Up to STALLED sockets, each with half an upgrade request sent, within HANDSHAKE_TIMEOUT
    in all (a local connect is instant unless the server's backlog is full)."""
    socks: list[socket.socket] = []
    deadline = time.monotonic() + HANDSHAKE_TIMEOUT
    while len(socks) + sum(seen.stall_failed.values()) < STALLED and time.monotonic() < deadline:
        try:
            sock = socket.create_connection(_address(base_url), timeout=max(0.1, deadline - time.monotonic()))
        except OSError as exc:
            why = f"connect failed ({type(exc).__name__})"
            seen.stall_failed[why] = seen.stall_failed.get(why, 0) + 1
            continue
        socks.append(sock)
        try:
            sock.sendall(partial_request(request))
        except OSError as exc:
            why = f"send failed ({type(exc).__name__})"
            seen.stall_failed[why] = seen.stall_failed.get(why, 0) + 1
    return socks


def note_closed(socks: list[socket.socket], since: float, closed: dict[int, float]) -> None:
    """Which stalled sockets the server has answered or hung up on (a header timeout)."""
    waiting = [sock for sock in socks if sock.fileno() not in closed]
    if not waiting:
        return
    readable, _, _ = select.select(waiting, [], [], 0)
    for sock in readable:
        closed[sock.fileno()] = time.monotonic() - since


def new_client_served(base_url: str, path: str, cookie: str) -> str:
    """ "" when a new client's handshake completes within PROBE_TIMEOUT, else why not."""
    try:
        ws = open_socket(base_url, path, cookie, origin=base_url)
    except HandshakeRefused as exc:
        return f"a new client's handshake was {exc}"
    except (websocket.WebSocketException, OSError) as exc:
        return f"a new client's handshake failed: {type(exc).__name__}"
    close_quietly(ws)
    return ""


def serves(chat: ChatSession, path: str, cookie: str) -> str:
    """ "" when a new client is served and the others still get a broadcast, else why not."""
    base_url = chat.clients["admin"].base_url
    refused = new_client_served(base_url, path, cookie)
    healthy, state = health(chat)
    return "; ".join(note for note in (refused, "" if healthy else state) if note)


def recover(
    usage: Callable[[], Reading], baseline: Reading, seen: Observed, within: float
) -> tuple[Reading, float | None]:
    """Poll until fds and memory are near the baseline (the time it took) or ``within`` seconds passed."""
    began = time.monotonic()
    while True:
        now = usage()
        seen.see(now)
        if fds_near(baseline, now) and rss_near(baseline, seen.peak, now):
            return now, time.monotonic() - began
        if time.monotonic() - began >= within:
            return now, None
        time.sleep(POLL)


def vanishing_clients(chat: ChatSession, usage: Callable[[], Reading]) -> Finding:
    """The whole check on ``chat``'s server, whose tree ``usage`` reads: the 200, back
    near the baseline? then the 50 stalled, back again once they are gone?"""
    began = time.monotonic()
    admin = chat.clients["admin"]
    base_url, path, cookie = admin.base_url, chat.protocol.socket_path(), admin.cookie_header()
    healthy, state = health(chat)
    if not healthy:
        return Finding(False, f"not observed: before the clients came, {state}", "not observed")
    baseline = usage()
    seen = Observed()
    seen.see(baseline)
    vanish(base_url, path, cookie, usage, seen)
    after_vanished, took_vanished = recover(usage, baseline, seen, RECOVER_WITHIN)
    socks = stall(base_url, upgrade_request(base_url, path, cookie), seen)
    try:
        stalled_at = time.monotonic()
        closed: dict[int, float] = {}
        seen.see(usage())
        during = serves(chat, path, cookie)
        while time.monotonic() < stalled_at + STALL_HOLD:
            note_closed(socks, stalled_at, closed)
            time.sleep(POLL)
        note_closed(socks, stalled_at, closed)
        seen.stalled_closed = sorted(closed.values())
    finally:
        for sock in socks:
            sock.close()
    # Already failed: a short look only, so that a leaking server costs 10 s, not 20.
    window = RECOVER_WITHIN if took_vanished is not None else 1.0
    after, took = recover(usage, baseline, seen, window)
    afterwards = serves(chat, path, cookie)
    recovered = Recovery(after_vanished, took_vanished, after, took, window)
    return judge(baseline, seen, recovered, during, afterwards, time.monotonic() - began)


@dataclass(frozen=True)
class Recovery:
    """Reading once back near the baseline (or at the window's end), and how long it took (None: not back)."""

    vanished: Reading
    vanished_took: float | None
    stalled: Reading
    stalled_took: float | None
    stalled_window: float = RECOVER_WITHIN


def _mib(usage: Reading) -> str:
    return f"{usage.rss_bytes / MIB:.1f}"


def _back(took: float | None, within: float = RECOVER_WITHIN) -> str:
    return f"back in {took:.1f} s" if took is not None else f"not back within {within:.0f} s"


def _missing(baseline: Reading, peak: Reading, now: Reading) -> str:
    missing = [] if fds_near(baseline, now) else ["fds"]
    missing += [] if rss_near(baseline, peak, now) else ["memory"]
    return " and ".join(missing)


def judge(baseline: Reading, seen: Observed, back: Recovery, during: str, afterwards: str, spent: float) -> Finding:
    after = back.vanished
    fds = f"fds {baseline.fds} → {seen.peak.fds} → {after.fds}"
    if seen.peak.to_redis:
        fds += f" (to Redis {baseline.to_redis} → {seen.peak.to_redis} → {after.to_redis})"
    rss = f"RSS {_mib(baseline)} → {_mib(seen.peak)} → {_mib(after)} MiB"
    stalled = (
        f"server dropped {len(seen.stalled_closed)}/{STALLED} stalled handshakes "
        f"(first after {seen.stalled_closed[0]:.1f} s)"
        if seen.stalled_closed
        else f"server kept all {STALLED} stalled handshakes for {STALL_HOLD:.0f} s"
    )
    stalled_back = (
        f"after the stalled ones {back.stalled.fds} fds ({back.stalled.to_redis} to Redis), "
        f"{_mib(back.stalled)} MiB, "
        f"{_back(back.stalled_took, back.stalled_window)}"
    )
    # Short, for the report's cell (48 characters); the detail has the rest.
    came = f"back in {back.vanished_took:.1f} s" if back.vanished_took is not None else "not back in 10 s"
    mib = "→".join(f"{r.rss_bytes / MIB:.0f}" for r in (baseline, seen.peak, after))
    value = f"fds {baseline.fds}→{seen.peak.fds}→{after.fds}, {mib} MiB, {came}"
    near = (
        f"near = fds other than connections to Redis ≤ baseline + {FD_SLACK}, connections to Redis "
        f"≤ baseline + {WAVE} (a pool grown to the peak of simultaneous clients), RSS ≤ baseline + "
        f"{RSS_SLACK // MIB} MiB or at least half of the peak's growth given back"
    )
    how = (
        f"{seen.upgraded}/{VANISHING} clients upgraded (waves of {WAVE}, {seen.waves_seconds:.1f} s) and dropped TCP "
        f"without a close frame ({seen.fins} FIN, {seen.rsts} RST): {fds}, {rss}, "
        f"{_back(back.vanished_took)} of the last leaving; "
        f"then {STALLED} stopped halfway through the handshake, held {STALL_HOLD:.0f} s and dropped: {stalled_back}"
    )
    problems = []
    if seen.refused:
        problems.append("handshakes failed: " + ", ".join(f"{n}× {why}" for why, n in seen.refused.items()))
    if back.vanished_took is None:
        problems.append(
            f"{_missing(baseline, seen.peak, after)} not back near the baseline within "
            f"{RECOVER_WITHIN:.0f} s of the {VANISHING} vanishing"
        )
    if seen.stall_failed:
        problems.append("stalled clients failed: " + ", ".join(f"{n}× {why}" for why, n in seen.stall_failed.items()))
    if during:
        problems.append(f"while {STALLED} handshakes stalled: {during}")
    if back.stalled_took is None and back.vanished_took is not None:
        problems.append(
            f"{_missing(baseline, seen.peak, back.stalled)} not back near the baseline within "
            f"{RECOVER_WITHIN:.0f} s of the {STALLED} stalled ones leaving"
        )
    if afterwards:
        problems.append(f"afterwards: {afterwards}")
    state = "; ".join(problems) if problems else "the server still serves (a new client and a broadcast)"
    detail = f"{how} ({near}); {stalled}; {state}; took {spent:.1f} s"
    return Finding(not problems, detail, value)
