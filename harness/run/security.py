"""Security checks against a live chat server: a foreign Origin (CSWSH), a client
that tries to send as someone else or to listen to someone else's private
messages, and a socket that outlives its user's logout (DECISIONS 3).

Each returns a Finding (verdict, detail, observed value); the scenarios record it.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from urllib.parse import urlsplit

import websocket

from harness.clients import WARMUP_INTERVAL, WARMUP_TIMEOUT, ChatClient
from harness.errors import ClientError
from harness.run.delivery import DELIVERY_TIMEOUT, EVERYBODY, ChatSession
from harness.run.probes import HandshakeRefused, close_quietly, listen, open_socket
from harness.run.robustness import Finding, deaf_note
from harness.stacks import stack_for
from harness.stacks.base import HTTP, SOCKET, Protocol
from harness.stacks.channels import ChannelsProtocol

EVIL_ORIGIN = "http://evil.example"
ORIGIN_GRACE = 1.0  # seconds an accepted foreign socket has to be closed before any frame
LOGOUT_QUIET = 5.0  # DECISIONS 3: messages sent more than this long after logout must not arrive
# Query parameters a client might hope the server reads to pick whose messages it
# hears or whom it speaks as (ws4redis reads its flags from the query string).
SPY_QUERY = "&user=mary&users=mary&username=mary&group=staff&groups=staff&from=mary&subscribe-session"
CLAIMS = {"from": "admin", "sender": "admin", "username": "admin", "user_id": 1}


def _socket_opens(base_url: str, path: str, cookie: str, origin: str, grace: float = ORIGIN_GRACE) -> str:
    """ "refused 403", "closed before any frame: ...", or "accepted" (open after the grace)."""
    ws = None
    try:
        ws = open_socket(base_url, path, cookie, origin=origin)
        heard = listen(ws, grace, until=lambda h: bool(h.frames))
    except HandshakeRefused as exc:
        return f"refused {exc.status}"
    except (websocket.WebSocketException, OSError) as exc:
        return f"refused: {type(exc).__name__}"
    finally:
        close_quietly(ws)
    if heard.closed and not heard.frames:
        return f"closed before any frame ({heard.closed})"
    return "accepted" + (f", got {len(heard.frames)} frame(s)" if heard.frames else "")


def secure_path(protocol: Protocol) -> str:
    """The socket path set up as the stack recommends for production: Channels' chat
    server has the chat behind AllowedHostsOriginValidator at /ws/secure/chat/
    (chatservers/channels/chat/routing.py); ws4redis has nothing to set up."""
    if isinstance(protocol, ChannelsProtocol):
        return f"/ws/secure/chat/?session={protocol.session}"
    return protocol.socket_path()


def origin_check(chat: ChatSession) -> Finding:
    """admin's valid session cookie with Origin: evil.example must not get a socket;
    the same handshake with the server's own origin must."""
    admin = chat.clients["admin"]
    parts = urlsplit(admin.base_url)
    own = f"{parts.scheme}://{parts.netloc}"
    path = secure_path(chat.protocol)
    evil = _socket_opens(admin.base_url, path, admin.cookie_header(), EVIL_ORIGIN)
    mine = _socket_opens(admin.base_url, path, admin.cookie_header(), own, grace=0.0)  # its 101 is enough
    refused = not evil.startswith("accepted")
    ok = refused and mine.startswith("accepted")
    detail = f"{path.split('?')[0]}: Origin {EVIL_ORIGIN}: {evil}; own origin {own}: {mine}"
    value = ("foreign refused" if refused else "foreign accepted") + f" ({evil.split(',')[0]})"
    return Finding(ok, detail, value if mine.startswith("accepted") else f"own origin {mine.split(',')[0]}")


class _TimedClient(ChatClient):
    """A chat client that remembers when the server closed its socket."""

    closed_at: float | None = None

    def _closed(self, reason: str) -> None:
        self.closed_at = time.monotonic()
        super()._closed(reason)


def _extra_socket(chat: ChatSession, user: str, path: str) -> _TimedClient:
    client = _TimedClient(chat.clients[user].base_url, user, ignore=chat.protocol.heartbeats)
    try:
        client.login()
        client.connect(path)
    except ClientError:
        client.close()
        raise
    return client


def _warm(chat: ChatSession, client: ChatClient) -> bool:
    """Broadcast until ``client`` hears one (a 101 is not a subscription in ws4redis)."""
    deadline = time.monotonic() + WARMUP_TIMEOUT
    while time.monotonic() < deadline:
        marker = f"warm:{chat.session_tag}:{time.monotonic()}"
        chat.broadcast_from_admin(marker)
        if client.inbox.wait_for(_has(chat, marker), WARMUP_INTERVAL):
            return True
    return False


def _has(chat: ChatSession, text: str):
    return lambda frames: any(chat.protocol.decode(f.text) == text for f in frames)


def _send(chat: ChatSession, sender: str, kind: str, target: str, text: str) -> None:
    path = chat.protocol.publish_paths[kind][0]
    chat.protocol.send(chat.clients[sender], kind, target, text, path)


def _barrier(chat: ChatSession, clients: list[ChatClient]) -> bool:
    """A broadcast after the probes: a socket that has it would have had the probes."""
    marker = f"barrier:{chat.session_tag}:{time.monotonic()}"
    chat.broadcast_from_admin(marker)
    return all(c.inbox.wait_for(_has(chat, marker), DELIVERY_TIMEOUT) for c in clients)


def not_observed(chat: ChatSession) -> Finding | None:
    """✗ at once when the chat session's sockets hear nothing: absence would prove nothing."""
    note = deaf_note(chat)
    return Finding(False, note, "not observed") if note else None


def eavesdrop_check(chat: ChatSession) -> Finding:
    """john opens a socket asking for mary's messages in every way the stack might read;
    admin sends mary a private message: mary gets it, john's socket does not."""
    spy = _extra_socket(chat, "john", chat.protocol.socket_path() + SPY_QUERY)
    try:
        _warm(chat, spy)
        start = len(spy.inbox.snapshot())
        text = f"secret:{chat.session_tag}:{time.monotonic()}"
        _send(chat, "admin", "user", "mary", text)
        mary_got = chat.clients["mary"].inbox.wait_for(_has(chat, text), DELIVERY_TIMEOUT)
        settled = _barrier(chat, [spy])
        leaked = sum(chat.protocol.decode(f.text) == text for f in spy.inbox.snapshot()[start:])
    finally:
        spy.close()
    ok = mary_got and settled and not leaked
    detail = f"query {SPY_QUERY.lstrip('&')}: john's socket got {leaked} of mary's private message(s)"
    detail += "" if mary_got else "; mary did not get it (no proof)"
    detail += "" if settled else "; john's socket missed the barrier (absence not proven)"
    return Finding(ok, detail, f"{leaked} leaked")


def impersonation_check(chat: ChatSession) -> Finding:
    """john claims to be admin in every field the stack might read; mary must get the
    message, and every frame of it must name john (or, where frames name no sender,
    not reach mary through another user's private channel)."""
    mary = chat.clients["mary"]
    problems, sent = [], 0
    protocol = chat.protocol
    if isinstance(protocol, ChannelsProtocol):
        session = protocol.session
        tries: dict[str, Callable[[str], object]] = {
            SOCKET: lambda text: chat.clients["john"].send(
                json.dumps({"command": "user", "user": "mary", "message": text, **CLAIMS})
            ),
            HTTP: lambda text: chat.clients["john"].post(
                "/publish/",
                {"kind": "user", "target": "mary", "message": text, "session": session}
                | {k: str(v) for k, v in CLAIMS.items()},
            ),
        }
        for path, send in tries.items():
            text = f"claim-{path}:{chat.session_tag}:{time.monotonic()}"
            send(text)
            sent += 1
            if not mary.inbox.wait_for(_has(chat, text), DELIVERY_TIMEOUT):
                problems.append(f"{path}: mary did not get it")
            copies = [f.text for f in mary.inbox.snapshot() if chat.protocol.decode(f.text) == text]
            senders = {chat.protocol.sender_of(copy) for copy in copies}
            if senders - {"john"}:
                problems.append(f"{path}: named as sent by {sorted(map(str, senders))}")
        value = "sender named by the server" if not problems else problems[0]
    else:
        # ws4redis frames carry no sender: the way to speak as mary is to publish into
        # her channel; john's socket asks to publish to "user" (himself) and names mary.
        # It hears its own message back (subscribe-user, echo): then it was published,
        # and the barrier, published after, settles whether mary got it.
        query = "?publish-user&subscribe-user&echo" + SPY_QUERY
        spy = _extra_socket(chat, "john", chat.protocol.socket_path().split("?")[0] + query)
        try:
            start = len(mary.inbox.snapshot())
            text = f"claim-socket:{chat.session_tag}:{time.monotonic()}"
            deadline = time.monotonic() + WARMUP_TIMEOUT
            published = False
            while not published and time.monotonic() < deadline:  # ws4redis subscribes after the 101
                spy.send(text)
                sent += 1
                published = spy.inbox.wait_for(_has(chat, text), WARMUP_INTERVAL)
            if not published:
                problems.append("john's socket never heard its own message back (not observed)")
            settled = _barrier(chat, [mary])
            got = sum(chat.protocol.decode(f.text) == text for f in mary.inbox.snapshot()[start:])
        finally:
            spy.close()
        if got:
            problems.append(f"mary got john's text through a private channel ({got} of {sent} sent)")
        if not settled:
            problems.append("mary missed the barrier (absence not proven)")
        value = "frames name no sender; nothing reached mary" if not problems else problems[0]
    detail = "; ".join(problems) or f"{sent} tries with {', '.join(CLAIMS)} claiming admin: none believed"
    return Finding(not problems, detail, value)


@dataclass
class LogoutWatch:
    """john's extra socket on a chat session of its own, logged out over HTTP at
    ``logged_out_at``; ``warm`` says it heard a broadcast before the logout.

    ``control`` is a second socket of john's that stays logged in and broadcasts a
    tick every TICK seconds on the session: both sockets stay busy, so a server that
    closes idle sockets (uvicorn closed one after 5 s here) is not taken for one that
    closes a logged-out socket, and a close of the control says the check saw nothing."""

    base_url: str
    protocol: Protocol
    client: _TimedClient
    control: _TimedClient
    logged_out_at: float
    warm: bool
    stop: threading.Event

    def close(self) -> None:
        self.stop.set()
        self.client.close()
        self.control.close()


TICK = 1.0


def _tick(protocol: Protocol, control: ChatClient, stop: threading.Event) -> None:
    while not stop.wait(TICK):
        try:
            protocol.send(
                control, "broadcast", EVERYBODY, f"tick:{time.monotonic()}", protocol.publish_paths["broadcast"][0]
            )
        except ClientError:
            return


def _publish(protocol: Protocol, sender: ChatClient, kind: str, target: str, text: str) -> None:
    """By HTTP where the stack has it (no socket needed), else its first path."""
    paths = protocol.publish_paths[kind]
    protocol.send(sender, kind, target, text, HTTP if HTTP in paths else paths[0])


def _hears_itself(watch_protocol: Protocol, client: ChatClient, timeout: float) -> bool:
    """The client broadcasts a marker and hears it back (both stacks echo a broadcast)."""
    marker = f"self:{time.monotonic()}"
    try:
        watch_protocol.send(client, "broadcast", EVERYBODY, marker, watch_protocol.publish_paths["broadcast"][0])
    except ClientError:
        return False
    return client.inbox.wait_for(lambda frames: any(watch_protocol.decode(f.text) == marker for f in frames), timeout)


def start_logout(base_url: str, family: str) -> LogoutWatch:
    """john logs in, opens a socket (warmed: it hears a broadcast), and logs out over HTTP."""
    protocol = stack_for(family).protocol(f"logout-{secrets.token_hex(4)}")
    client = _TimedClient(base_url, "john", ignore=protocol.heartbeats)
    control = _TimedClient(base_url, "john", ignore=protocol.heartbeats)
    stop = threading.Event()
    try:
        for each in (client, control):
            each.login()
            each.connect(protocol.socket_path())
        deadline = time.monotonic() + WARMUP_TIMEOUT
        warm = False
        while not warm and time.monotonic() < deadline:
            warm = _hears_itself(protocol, client, WARMUP_INTERVAL)
        threading.Thread(target=_tick, args=(protocol, control, stop), name="logout-tick", daemon=True).start()
        client.post("/accounts/logout/", {})
    except BaseException:
        stop.set()
        client.close()
        control.close()
        raise
    return LogoutWatch(base_url, protocol, client, control, time.monotonic(), warm, stop)


# Watches started in the background as soon as a server is ready (harness.run.modes),
# by base URL: the 5 s after logout then pass while other modes run.
_PRESTARTED: dict[str, Future[LogoutWatch | None]] = {}
_PRESTART_WAIT = 20.0


def prestart_logout(pool: Executor, base_url: str, family: str, ready: Callable[[], bool]) -> None:
    _PRESTARTED[base_url] = pool.submit(lambda: start_logout(base_url, family) if ready() else None)


def claim_watch(base_url: str, family: str) -> Future[LogoutWatch | None]:
    """This server's watch, started in the background if ``harness run`` did not start one:
    nobody waits for it before the check itself (resolve_watch)."""
    future = _PRESTARTED.pop(base_url, None)
    if future is None:
        future = Future()

        def start() -> None:
            try:
                future.set_result(start_logout(base_url, family))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=start, name="logout-watch", daemon=True).start()
    return future


def resolve_watch(future: Future[LogoutWatch | None], base_url: str, family: str) -> tuple[LogoutWatch, bool]:
    """The watch once started, and whether the caller must close it: a background start
    that failed is tried once more here (so that its error, if it persists, is the scenario's)."""
    try:
        watch = future.result(_PRESTART_WAIT)
    except Exception:
        watch = None
    return (watch, False) if watch is not None else (start_logout(base_url, family), True)


def close_watch(future: Future[LogoutWatch | None]) -> None:
    try:
        watch = future.result(_PRESTART_WAIT)
    except Exception:
        return
    if watch is not None:
        watch.close()


def drop_prestarted(base_url: str) -> None:
    """A watch nobody took (its mode's scenarios did not run): close its sockets."""
    future = _PRESTARTED.pop(base_url, None)
    if future is not None:
        close_watch(future)


def logout_check(watch: LogoutWatch) -> Finding:
    """DECISIONS 3: ✓ when the logged-out socket gets no private or group message sent
    more than LOGOUT_QUIET seconds after logout."""
    client = watch.client
    if not watch.warm:  # nothing to wait for: absence would prove nothing
        return Finding(False, "the socket never heard a broadcast before logout: nothing proven", "not observed")
    time.sleep(max(0.0, watch.logged_out_at + LOGOUT_QUIET - time.monotonic()))
    if watch.control.closed_at is not None:
        after = watch.control.closed_at - watch.logged_out_at
        why = f"the server also closed john's socket that stayed logged in ({after:.1f} s after the logout)"
        return Finding(False, f"not observed: {why}", "not observed")
    if client.closed_at is not None:
        after = client.closed_at - watch.logged_out_at
        closed = f"closed {after:.1f} s after logout ({client.inbox.closed_reason})"
        return Finding(True, closed, f"closed after {after:.1f} s")
    admin = ChatClient(watch.base_url, "admin")
    try:
        admin.login()
        start = len(client.inbox.snapshot())
        sent_at = time.monotonic() - watch.logged_out_at
        private, group = f"after-logout-user:{sent_at}", f"after-logout-group:{sent_at}"
        _publish(watch.protocol, admin, "user", "john", private)
        _publish(watch.protocol, admin, "group", "chatusers", group)
    finally:
        admin.close()
    # The barrier: john's socket broadcasts after the two; hearing it, it would have heard them.
    settled = _hears_itself(watch.protocol, client, DELIVERY_TIMEOUT)
    frames = [watch.protocol.decode(f.text) for f in client.inbox.snapshot()[start:]]
    got = [kind for kind, text in (("private", private), ("group", group)) if text in frames]
    if got:
        value = f"open, got {' and '.join(got)} sent {sent_at:.1f} s after logout"
        return Finding(False, value, "still delivers")
    note = "" if settled else " (nor its own broadcast: it hears nothing at all)"
    return Finding(True, f"open, got neither message sent {sent_at:.1f} s after logout{note}", "open, deaf to user")
