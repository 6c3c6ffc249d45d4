"""Bad input for a live chat server: the message size search (DECISIONS 10), bad
frames and commands, a plain GET to a socket URL (DECISIONS 9b), each followed
by a health probe (the other clients still get a broadcast).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import websocket

from harness.errors import ClientError
from harness.run.delivery import DELIVERY_TIMEOUT, EVERYBODY, ChatSession
from harness.run.probes import PROBE_TIMEOUT, EchoPath, HandshakeRefused, Heard, close_quietly, listen, open_socket

KIB, MIB = 1024, 1024 * 1024
# The size search's ladder: 64 KiB to 16 MiB in powers of two, then 16 MiB + 1
# (uvicorn's ws_max_size is 16 MiB exactly: 16 MiB is accepted, one byte more is not).
LADDER = [2**e for e in range(16, 25)] + [2**24 + 1]
MAX_PROBES = 8
TOO_BIG = 1009


@dataclass(frozen=True)
class Finding:
    ok: bool
    detail: str
    value: str


def deaf_note(chat: ChatSession) -> str | None:
    """Why nothing can be observed on this session (its sockets hear nothing at all), or None."""
    deaf = [user for user in chat.clients if chat.deaf(user)]
    return f"not observed: nothing at all reached {', '.join(deaf)} since connecting (deaf)" if deaf else None


def health(chat: ChatSession) -> tuple[bool, str]:
    """The other clients still get a broadcast: john broadcasts, all three must hear it
    (no barrier: only arrival matters here, and each bad input is followed by one)."""
    notes = chat.reopen_closed_sockets()
    text = f"health:{chat.session_tag}:{time.monotonic()}"
    try:
        path = chat.protocol.publish_paths["broadcast"][0]
        chat.protocol.send(chat.clients["john"], "broadcast", EVERYBODY, text, path)
    except ClientError as exc:
        return False, f"unhealthy: the broadcast could not be sent: {exc}"
    began = time.monotonic()
    missing = [
        user
        for user, client in chat.clients.items()
        if not client.inbox.wait_for(
            lambda frames: any(chat.protocol.decode(f.text) == text for f in frames),
            max(0.0, began + chat.wait_timeout(user) - time.monotonic()),
        )
    ]
    if missing:
        why = f" ({'; '.join(notes)})" if notes else ""
        return False, f"unhealthy: {', '.join(missing)} did not get a broadcast within {DELIVERY_TIMEOUT:.0f} s{why}"
    return True, "healthy: the others still get a broadcast"


def _size_label(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    if size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} B"


def probe_size(base_url: str, cookie: str, echo: EchoPath, size: int, ignore: Iterable[str]) -> tuple[str, Heard]:
    """One text frame of ``size`` bytes on a fresh socket: "accepted" (answered),
    "refused" (closed or dropped), or "slow" (neither within PROBE_TIMEOUT).

    The answer is read while the frame is still being sent: a server that refuses
    by the frame header closes at once, and once it hangs up on the rest of the
    frame the kernel's reset would discard its close frame unread."""
    began = time.monotonic()
    ws = None
    try:
        ws = open_socket(base_url, echo.path, cookie)
    except HandshakeRefused as exc:
        return "refused", Heard(closed=str(exc))
    except (websocket.WebSocketException, OSError) as exc:
        return "refused", Heard(closed=f"connection lost: {type(exc).__name__}")
    text = echo.frame_of_size(size)

    def send() -> None:
        # The server may hang up mid-frame (or the probe end first): listen() says which.
        with contextlib.suppress(websocket.WebSocketException, OSError):
            ws.send(text)

    sender = threading.Thread(target=send, name="size-probe", daemon=True)
    sender.start()
    try:
        heard = listen(ws, max(0.1, PROBE_TIMEOUT - (time.monotonic() - began)), ignore=tuple(ignore))
    finally:
        # A server that refused by the header stops reading: unblock the sender at once.
        if ws.sock is not None:  # None once websocket-client closed it after an error
            with contextlib.suppress(OSError):
                ws.sock.shutdown(socket.SHUT_RDWR)
        sender.join(1.0)
        close_quietly(ws)
    if heard.frames and not heard.closed:
        return "accepted", heard
    return ("slow" if heard.timed_out else "refused"), heard


def message_size_limit(
    base_url: str,
    cookie: str,
    echo: EchoPath,
    ignore: Iterable[str] = (),
    probe: Callable[..., tuple[str, Heard]] = probe_size,
) -> tuple[int | None, int | None, Heard | None, str]:
    """Bounded search: (largest accepted, smallest refused, the refusal, how it ended).

    First a binary search over the ladder (from 1 MiB, daphne's limit), then, between
    two rungs, one byte above the accepted one (a limit is often a power of two),
    then halving; at most MAX_PROBES probes, each at most PROBE_TIMEOUT."""
    accepted: int | None = None
    refused: int | None = None
    refusal: Heard | None = None
    lo, hi = 0, len(LADDER) - 1  # rungs whose outcome is still unknown
    probes = 0

    def next_size() -> int | None:
        if lo <= hi:
            return LADDER[4] if probes == 0 else LADDER[(lo + hi) // 2]
        if accepted is None or refused is None or refused - accepted <= 1:
            return None
        return accepted + 1 if refused == 2 * accepted else (accepted + refused) // 2

    while probes < MAX_PROBES and (size := next_size()) is not None:
        outcome, heard = probe(base_url, cookie, echo, size, ignore)
        probes += 1
        if outcome == "slow":
            return accepted, refused, refusal, f"search stopped by time at {_size_label(size)} ({probes} probes)"
        if outcome == "accepted":
            accepted = max(accepted or 0, size)
        elif refused is None or size < refused:
            refused, refusal = size, heard
        if size in LADDER and lo <= hi:
            index = LADDER.index(size)
            lo, hi = (index + 1, hi) if outcome == "accepted" else (lo, index - 1)
    return accepted, refused, refusal, f"{probes} probes"


def judge_size(accepted: int | None, refused: int | None, refusal: Heard | None, stop: str) -> Finding:
    """✓ only when a refusal was seen and it was a 1009 close; the limit is the value."""
    if refused is None:
        floor = _size_label(accepted) if accepted else "nothing"
        value = f"limit ≥ {floor}" + (" (search stopped by time)" if "time" in stop else "")
        return Finding(False, f"no refusal observed: {value}; {stop}", value)
    if accepted is None:
        value = f"limit < {_size_label(refused)}"
    elif refused == accepted + 1:
        value = f"limit = {_size_label(accepted)}"
    else:
        value = f"{_size_label(accepted)} ≤ limit < {_size_label(refused)}"
    how = refusal.summary() if refusal else "refused"
    ok = refusal is not None and refusal.close_code == TOO_BIG
    detail = f"{value}; above it {how}" + ("" if ok else f" (expected a {TOO_BIG} close)") + f"; {stop}"
    code = refusal.close_code if refusal else None
    return Finding(ok, detail, f"{value}, then {f'closed {code}' if code else 'dropped'}")
