"""The Redis restart check (issue 12, deep; DECISIONS 3): Redis goes away for 2 s
under a server with connected clients and comes back with its data, as in a
graceful restart.  Does delivery to those clients resume, does the server close
their sockets so that they can reconnect, or does it go on accepting messages and
deliver nothing ("silently deaf", the worst outcome)?

The server is one of its own on a Redis of its own (harness/run/live.py), so no
other mode, idle socket or held check shares the restart (DECISIONS 5).
"""

from __future__ import annotations

import time
from pathlib import Path

from harness.errors import ClientError
from harness.fixtures import USERS
from harness.run.delivery import EVERYBODY, ChatSession
from harness.run.idle import idle_cells
from harness.run.robustness import Finding
from harness.stacks.base import Stack
from harness.sut.redis_server import PrivateRedis
from harness.sut.serverlog import first_exception_after, log_size

CHECK = "Redis restart"
RESTART_PAUSE = 2.0  # seconds Redis stays down
RESUME_WITHIN = 10.0  # DECISIONS 3: delivery back within 10 s of Redis answering again
ROUND_WAIT = 1.0  # how long one broadcast of the resume loop is waited for
# Before the restart everybody must hear a broadcast within this (a fresh dev server
# on a busy machine may miss a first round; a check must not start from a deaf session).
HEALTHY_WITHIN = 5.0


def restart_redis_under(session: ChatSession, stack: Stack, redis: PrivateRedis, log_path: Path) -> Finding:
    """Restart ``redis`` under ``session``'s server, then broadcast until everybody hears
    it again (reconnecting a socket the server closed) or RESUME_WITHIN has passed."""
    before = time.monotonic()
    rounds = 0
    while not _broadcast_heard(session, f"before:{session.session_tag}:{rounds}"):
        rounds += 1
        if time.monotonic() > before + HEALTHY_WITHIN:
            why = f"not everybody heard a broadcast within {HEALTHY_WITHIN:.0f} s ({rounds} tries)"
            return Finding(False, f"not observed: before the restart, {why}", "not observed")
    log_offset = log_size(log_path)
    back = redis.restart(RESTART_PAUSE)
    closes: dict[str, tuple[str, float]] = {}  # user -> (how, when from Redis's return)
    refused: dict[str, str] = {}  # user -> why their first reconnect failed
    tries = 0
    resumed: float | None = None
    while resumed is None and time.monotonic() < back + RESUME_WITHIN:
        _reconnect_closed(session, back, closes, refused)
        tries += 1
        if _broadcast_heard(session, f"restart:{session.session_tag}:{tries}"):
            resumed = time.monotonic() - back
    _reconnect_closed(session, back, closes, refused, reconnect=False)
    server_log = first_exception_after(log_path, log_offset)
    where = f"Redis down {RESTART_PAUSE:.0f} s (SHUTDOWN SAVE, data kept)"
    said = "".join(f"; {note}" for note in _notes(closes, refused))
    logged = f"; server logged: {server_log}" if server_log else ""
    if resumed is None:
        if closes:
            value = "closed; reconnected sockets deaf"
            what = f"the server closed {len(closes)} socket(s), and nothing reached them after reconnecting"
        else:
            value = "silently deaf"
            what = "silently deaf: every socket stayed open and nothing was delivered"
        detail = f"{where}; {what} for {RESUME_WITHIN:.0f} s after Redis answered again ({tries} broadcasts)"
        return Finding(False, detail + said + logged, value)
    results = [session.check(cell) for cell in idle_cells(stack)]
    failed = [f"{r.kind} {r.sender}->{r.target}: {r.detail}" for r in results if not r.ok]
    how = f"closed {len(closes)}, reconnected" if closes else "sockets kept"
    value = f"resumed {resumed:.1f} s ({how})"
    detail = f"{where}; delivery resumed {resumed:.1f} s after Redis answered again (broadcast {tries})"
    if failed:
        return Finding(False, f"{detail}, but then: {'; '.join(failed)}{said}{logged}", value + ", then lost")
    after = "then a broadcast, a private and a group message each arrived once"
    return Finding(True, f"{detail}; {after}{said}{logged}", value)


def _reconnect_closed(
    session: ChatSession,
    back: float,
    closes: dict[str, tuple[str, float]],
    refused: dict[str, str],
    reconnect: bool = True,
) -> None:
    """Note each socket the server closed (the first close of each user), and open a new one."""
    for user in USERS:
        client = session.clients[user]
        reason = client.inbox.closed_reason
        if reason is None:
            continue
        if user not in closes:
            closes[user] = (reason, (client.inbox.closed_at or time.monotonic()) - back)
        if reconnect:
            try:
                client.reconnect(session.protocol.socket_path())
            except ClientError as exc:
                refused.setdefault(user, str(exc).removeprefix(f"{user}: "))


def _notes(closes: dict[str, tuple[str, float]], refused: dict[str, str]) -> list[str]:
    """ "closed by the server: admin, john (1011 internal error, 1.5 s before Redis was back)"."""
    by_reason: dict[str, list[str]] = {}
    for user, (reason, _) in closes.items():
        by_reason.setdefault(reason, []).append(user)
    notes = []
    for reason, users in by_reason.items():
        at = min(closes[user][1] for user in users)
        when = f"{-at:.1f} s before Redis was back" if at < 0 else f"{at:.1f} s after Redis was back"
        notes.append(f"{', '.join(users)}: {reason} ({when})")
    notes += [f"{user}'s first reconnect failed: {why}" for user, why in refused.items()]
    return notes


def _broadcast_heard(session: ChatSession, text: str) -> bool:
    """john broadcasts ``text``: did all three hear it within ROUND_WAIT?"""
    began = time.monotonic()
    try:
        path = session.protocol.publish_paths["broadcast"][0]
        session.protocol.send(session.clients["john"], "broadcast", EVERYBODY, text, path)
    except ClientError:
        time.sleep(max(0.0, began + ROUND_WAIT - time.monotonic()))  # the publish failed: try again later
        return False
    heard = [
        client.inbox.wait_for(
            lambda frames: any(session.protocol.decode(f.text) == text for f in frames),
            max(0.0, began + ROUND_WAIT - time.monotonic()),
        )
        for client in session.clients.values()
    ]
    if not all(heard):
        time.sleep(max(0.0, began + ROUND_WAIT - time.monotonic()))
    return all(heard)
