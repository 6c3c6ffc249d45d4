"""Idle-socket capacity: ``harness load ENV --server M --sockets N``.

Ramps logged-in, subscribed, idle WebSockets (``harness.load.idle``: asyncio,
no thread per socket) up to N against one server mode, and records the
handshake p50/p99 during the ramp, the server's memory per socket (RSS of its
process tree, from a baseline taken before the ramp), and at 1k, 5k, 10k (and
N) sockets the time one broadcast takes to reach every socket.  The first
failure (refused or dropped handshake, sockets closed by the server, a file
limit) ends the ramp and is the figure's cause.  Bounded in time; the fd limit
is raised for both sides (the server inherits the driver's) within the hard
limit.  The sockets are shared by ``LOGINS`` logged-in load users: a login per
socket would measure password hashing, not sockets.
"""

from __future__ import annotations

import asyncio
import json
import resource
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.clients import ChatClient, ws_url
from harness.errors import ClientError, LoadError, whole_number
from harness.fixtures import PASSWORD
from harness.load.client import load_protocol, publish_path
from harness.load.idle import HandshakeFailed, IdleSocket, close_all, open_socket
from harness.load.runs import LoadEnv, run_key
from harness.load.stats import percentile
from harness.results.files import write_atomic
from harness.results.schema import timestamp
from harness.stacks.base import Protocol
from harness.sut.spread import ServerGroup
from harness.sut.usage import tree_usage

SOCKETS_SCHEMA = "harness-sockets-1"
DEFAULT_SOCKETS = 10_000
MAX_SOCKETS = 100_000
MILESTONES = (1_000, 5_000, 10_000)
LOGINS = 50
FANOUT_TIMEOUT = 30.0
FD_MARGIN = 1_000


def parse_sockets(text: str | int) -> int:
    """``--sockets``: idle sockets to ramp up to (bad input: one line, exit 2)."""
    return whole_number(text, "--sockets", MAX_SOCKETS)


@dataclass(frozen=True)
class SocketPlan:
    target: int = DEFAULT_SOCKETS
    time_limit: float = 300.0  # the ramp and its broadcasts, seconds
    concurrency: int = 50  # handshakes in flight

    @property
    def milestones(self) -> list[int]:
        return sorted({m for m in MILESTONES if m < self.target} | {self.target})


def raise_fd_limit(wanted: int) -> dict[str, int]:
    """Soft RLIMIT_NOFILE up to ``wanted`` (within the hard limit); children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard if hard != resource.RLIM_INFINITY else wanted
    new = max(soft, min(wanted, limit))
    if new != soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return {"soft_before": soft, "soft": new, "hard": hard}


def _hist(values: list[float]) -> dict[int, int]:
    out: dict[int, int] = {}
    for value in values:
        out[round(value)] = out.get(round(value), 0) + 1
    return out


class Ramp:
    """The asyncio side: open sockets in batches, stop at the first failure, time broadcasts."""

    def __init__(self, url: str, protocol: Protocol, cookies: list[str], broadcaster: ChatClient) -> None:
        self.url, self.protocol, self.cookies = url, protocol, cookies
        self.path = protocol.socket_path()
        self.broadcaster = broadcaster
        self.sockets: list[IdleSocket] = []
        self.handshakes: list[float] = []
        self.markers: list[bytes] = []
        self.failure = ""

    async def run(self, plan: SocketPlan, server_pid: int, baseline: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + plan.time_limit
        points = []
        try:
            for milestone in plan.milestones:
                await self._open_up_to(milestone, plan.concurrency, deadline)
                if self.failure:
                    break
                points.append(await self._measure(server_pid, baseline, deadline))
            held = [s for s in self.sockets if not s.closed]
            if self.failure and held and not self.failure.startswith("broadcast"):
                # Stopped early: memory and fan-out at what was held, over the sockets still open.
                self.sockets = held
                points.append(await self._measure(server_pid, baseline, time.monotonic()) | {"at_failure": True})
        finally:
            await close_all(self.sockets)
        return points

    async def _open_up_to(self, count: int, concurrency: int, deadline: float) -> None:
        while len(self.sockets) < count and not self.failure:
            if time.monotonic() > deadline:
                self.failure = f"time limit reached at {len(self.sockets)} sockets"
                return
            batch = min(concurrency, count - len(self.sockets))
            start = len(self.sockets)
            tries = [
                open_socket(ws_url(self.url, self.path), self.cookies[(start + i) % len(self.cookies)], self.markers)
                for i in range(batch)
            ]
            for outcome in await asyncio.gather(*tries, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    if not isinstance(outcome, HandshakeFailed | OSError):
                        raise outcome
                    self.failure = self.failure or f"socket {len(self.sockets) + 1}: {outcome}"
                else:
                    self.sockets.append(outcome[0])
                    self.handshakes.append(outcome[1])
            dropped = [s.closed for s in self.sockets if s.closed]
            if dropped and not self.failure:
                self.failure = f"{len(dropped)} sockets closed by the server (first: {dropped[0]})"

    async def _measure(self, server_pid: int, baseline: int, deadline: float) -> dict[str, Any]:
        count = len(self.sockets)
        await asyncio.sleep(1.0)  # let subscriptions that follow the 101 settle (ws4redis)
        rss = tree_usage([server_pid]).rss_bytes
        marker = f"fanout-{count}-{time.monotonic_ns()}"
        self.markers.append(marker.encode())
        loop = asyncio.get_running_loop()
        path = publish_path(self.protocol, "broadcast")
        sent = time.monotonic()
        try:
            args = (self.broadcaster, "broadcast", "everybody", marker, path)
            await loop.run_in_executor(None, self.protocol.send, *args)
        except ClientError as exc:
            self.failure = f"broadcast at {count} sockets failed: {exc}"
        limit = min(deadline + FANOUT_TIMEOUT, time.monotonic() + FANOUT_TIMEOUT)
        key = marker.encode()
        while time.monotonic() < limit and sum(1 for s in self.sockets if key in s.seen) < count:
            await asyncio.sleep(0.01)
        arrivals = [s.seen[key] for s in self.sockets if key in s.seen]
        reached = len(arrivals)
        return {
            "sockets": count,
            "server_rss_mib": round(rss / 2**20, 1),
            "rss_per_socket_kib": round((rss - baseline) / count / 1024, 1) if count else None,
            "fanout_ms": round((max(arrivals) - sent) * 1000, 1) if reached == count else None,
            "fanout_reached": reached,
            "fanout_p50_ms": round((sorted(arrivals)[reached // 2] - sent) * 1000, 1) if arrivals else None,
            "handshake_p50_ms": percentile(_hist(self.handshakes), 0.5),
            "handshake_p99_ms": percentile(_hist(self.handshakes), 0.99),
        }


def idle_capacity(
    env: LoadEnv, server: str, plan: SocketPlan, users: Sequence[str], load_dir: Path, command: str = ""
) -> dict[str, Any]:
    """One server mode's idle-socket figures; written to ``load_dir/sockets/<key>.json``."""
    spec, prepared = env.prepared.spec, env.prepared
    limits = raise_fd_limit(plan.target + FD_MARGIN)
    summary: dict[str, Any] = {
        "schema": SOCKETS_SCHEMA,
        "env": spec.name,
        "server": server,
        **env.facts,
        "plan": asdict(plan),
        "command": command,
        "fd_limit": limits,
        "started_at": timestamp(),
        "status": "error",
        "reason": "",
    }
    db = shutil.copyfile(env.database, prepared.scratch_dir / f"sockets-{server}.sqlite3")
    group = ServerGroup(prepared.config, prepared.sut, server, db, prepared.log_dir)
    clients: list[ChatClient] = []
    began = time.monotonic()
    try:
        record = group.await_ready()
        if not record.started:
            raise LoadError(f"{server}: web server does not work: {record.error}")
        protocol = load_protocol(spec.stack.family, f"idle{int(time.time())}")
        for user in users[:LOGINS]:
            client = ChatClient(group.base_url, user)
            clients.append(client)
            client.login(PASSWORD)
        broadcaster = clients[0]
        broadcaster.connect(protocol.socket_path())
        baseline = tree_usage([group.servers[0].process.pid]).rss_bytes
        ramp = Ramp(group.base_url, protocol, [c.cookie_header() for c in clients], broadcaster)
        points = asyncio.run(ramp.run(plan, group.servers[0].process.pid, baseline))
        summary.update(
            status="ok",
            baseline_rss_mib=round(baseline / 2**20, 1),
            held=len(ramp.sockets),
            completed=not ramp.failure and bool(points) and points[-1]["sockets"] == plan.target,
            first_failure=ramp.failure,
            handshake_p50_ms=percentile(_hist(ramp.handshakes), 0.5),
            handshake_p99_ms=percentile(_hist(ramp.handshakes), 0.99),
            points=points,
        )
    except ClientError as exc:
        summary["reason"] = f"login or broadcaster socket failed: {exc}"
    except LoadError as exc:
        summary["reason"] = str(exc)
    finally:
        for client in clients:
            client.close()
        stopped = group.stop()
        summary["server_exceptions"] = stopped.exceptions[:5]  # the server's side of a failure
        summary["seconds"] = round(time.monotonic() - began, 1)
        summary["finished_at"] = timestamp()
        write_atomic(load_dir / "sockets" / f"{run_key(spec.name, server)}.json", json.dumps(summary, indent=2) + "\n")
    return summary


def sockets_line(result: dict[str, Any]) -> str:
    head = f"{result['env']} on {result['server']}: idle sockets"
    if result["status"] != "ok":
        return f"✗ {head}: no figures: {result['reason']}"
    last = result["points"][-1] if result["points"] else {}
    text = f"{head}: held {result['held']} of {result['plan']['target']}"
    text += f", handshake p50 {result['handshake_p50_ms']} ms, p99 {result['handshake_p99_ms']} ms"
    for point in result["points"]:
        fanout = f"{point['fanout_ms']} ms" if point["fanout_ms"] is not None else "incomplete"
        fanout += f" (reached {point['fanout_reached']})" if point["fanout_reached"] < point["sockets"] else ""
        text += f"; at {point['sockets']}: fan-out {fanout}, {point['rss_per_socket_kib']} KiB/socket"
    if last:
        text += f" (server RSS {last['server_rss_mib']} MiB)"
    if result["first_failure"]:
        text += f"; stopped: {result['first_failure']}"
    if result.get("server_exceptions"):
        text += f"; the server logged: {result['server_exceptions'][0]}"
    return ("✓ " if result["completed"] else "✗ ") + text
