"""The real-browser check: john chats on the chat page in Chromium, admin and mary are scripted.

- john logs in through the login form, which lands him on the chat page;
- admin sends a broadcast, a private message to john and a group message (chatusers):
  the page shows each exactly once (a barrier broadcast after them settles "once");
- john types a broadcast into the page's input and presses its button: admin and mary
  receive it, from john where the protocol names senders;
- the console is read: any error is a finding, quoted;
- the page's socket is watched from inside the page: its negotiated extensions and
  protocol are recorded, and a close during the check is a finding with its code.

Every wait is bounded; the findings are listed console errors first, then the socket,
then the messages, so that a report's one line says the most telling thing.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import urllib3
from selenium.common.exceptions import WebDriverException

from harness.browser.chromium import Browser
from harness.browser.page import ChatPage, PageSocket, wait_until
from harness.clients import WARMUP_INTERVAL, WARMUP_TIMEOUT, ChatClient, Frame
from harness.errors import ClientError
from harness.fixtures import GROUPS, PASSWORD
from harness.stacks.base import Protocol

# What a WebDriver command that failed or outlived COMMAND_TIMEOUT raises.
DRIVER_ERRORS = (WebDriverException, urllib3.exceptions.HTTPError)
LOGIN_TIMEOUT = 10.0  # the form's POST and the redirect to the chat page
SOCKET_TIMEOUT = 5.0  # the page's socket opening (or closing) once the page is there
MESSAGE_TIMEOUT = 3.0  # as the delivery matrix's DELIVERY_TIMEOUT
PAGE_USER = "john"
SCRIPTED = ("admin", "mary")
GROUP = next(iter(GROUPS))  # chatusers: john and mary


@dataclass
class BrowserFinding:
    """What the browser check saw; ``ok`` is its verdict, ``detail`` its one line."""

    ok: bool
    detail: str
    socket_url: str = ""
    extensions: str = ""  # as negotiated ("" when none, or no socket)
    protocol: str = ""
    close: str = ""  # "closed 1006" when the socket closed during the check
    console_errors: list[str] = field(default_factory=list)
    browser: str = ""  # Chromium's version
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds each step took

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Check:
    def __init__(self, browser: Browser, base_url: str, protocol: Protocol, warmup_timeout: float) -> None:
        self.browser = browser
        self.warmup_timeout = warmup_timeout
        self.base_url = base_url
        self.protocol = protocol
        self.page = ChatPage(browser, base_url)
        self.tag = secrets.token_hex(3)
        self.clients: dict[str, ChatClient] = {}
        self.problems: list[str] = []
        self.socket: PageSocket | None = None
        self.phases: dict[str, float] = {}
        self._lap = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.phases[phase] = round(now - self._lap, 2)
        self._lap = now

    def label(self, name: str) -> str:
        """A message text no other message's text contains: "[3fa2c1-broadcast]"."""
        return f"[{self.tag}-{name}]"

    def publish(self, kind: str, target: str, text: str) -> None:
        path = self.protocol.publish_paths[kind][0]
        self.protocol.send(self.clients["admin"], kind, target, text, path)

    def has(self, text: str) -> Callable[[list[Frame]], bool]:
        return lambda frames: any(self.protocol.decode(f.text) == text for f in frames)

    def run(self) -> None:
        self.browser.console()  # what an earlier page logged is not this check's
        self.lap("console cleared")
        # admin and mary log in and connect while john fills in the form (one thread each).
        with ThreadPoolExecutor(max_workers=len(SCRIPTED)) as pool:
            joined = [pool.submit(self.join, user) for user in SCRIPTED]
            problem = self.page.login(PAGE_USER, PASSWORD, LOGIN_TIMEOUT)
            self.lap("login form")
            for future in joined:
                future.result()  # a ClientError is the check's finding
        self.lap("scripted users")
        if problem:
            self.problems.append(problem)
            return
        self.socket = self.page.await_socket(SOCKET_TIMEOUT)
        self.lap("socket")
        if self.socket is None:
            self.problems.append("no socket: the chat page opened no WebSocket")
            return
        if not self.socket.opened:
            self.problems.append(f"the page's socket never opened ({self.socket.closed or 'still connecting'})")
            return
        warm = self.warm_up()
        self.lap("warm-up")
        if not warm:
            return
        self.messages_shown_once()
        self.lap("messages")
        self.page_broadcast_received()
        self.lap("page broadcast")

    def join(self, user: str) -> None:
        client = ChatClient(self.base_url, user, ignore=self.protocol.heartbeats)
        self.clients[user] = client
        client.login()
        client.connect(self.protocol.socket_path())

    def warm_up(self) -> bool:
        """Broadcast until the page and mary show one: a 101 does not mean subscribed.
        As the delivery matrix's warm-up, bounded by WARMUP_TIMEOUT: on a busy machine
        a working server can take more than a second to deliver the first broadcast."""
        deadline = time.monotonic() + self.warmup_timeout
        sent: list[str] = []
        while time.monotonic() < deadline:
            sent.append(self.label(f"warmup{len(sent)}"))
            self.publish("broadcast", "everybody", sent[-1])
            step = min(deadline, time.monotonic() + WARMUP_INTERVAL) - time.monotonic()
            if wait_until(lambda: any(self.page.shown(t) for t in sent), max(0.0, step)):
                mary = self.clients["mary"].inbox
                mary.wait_for(lambda frames: any(self.has(t)(frames) for t in sent), MESSAGE_TIMEOUT)
                return True
        deaf = not any(client.inbox.snapshot() for client in self.clients.values())
        either = ", nor did admin's or mary's scripted socket get anything: the server delivers nothing" if deaf else ""
        self.problems.append(f"the page showed none of admin's broadcasts within {self.warmup_timeout:.0f} s{either}")
        return False

    def messages_shown_once(self) -> None:
        sent = {
            "broadcast": (self.label("broadcast"), "everybody"),
            "private": (self.label("private"), PAGE_USER),
            "group": (self.label("group"), GROUP),
        }
        for name, (text, target) in sent.items():
            kind = "user" if name == "private" else name
            self.publish(kind, target, f"{text} {name} from admin")
        self.page.await_shown([text for text, _ in sent.values()], MESSAGE_TIMEOUT)
        barrier = self.label("barrier")
        self.publish("broadcast", "everybody", barrier)
        if not self.page.await_shown([barrier], MESSAGE_TIMEOUT):
            self.problems.append(f"the page did not show a barrier broadcast within {MESSAGE_TIMEOUT:.0f} s")
        for name, (text, _) in sent.items():
            count = self.page.shown(text)
            if count != 1:
                self.problems.append(
                    f"admin's {name} message shown {count} times" if count else f"admin's {name} message not shown"
                )

    def page_broadcast_received(self) -> None:
        text = self.label("page") + " broadcast from the page"
        problem = self.page.send(text)
        if problem:
            self.problems.append(problem)
            return
        for user, client in self.clients.items():
            if not client.inbox.wait_for(self.has(text), MESSAGE_TIMEOUT):
                self.problems.append(f"{user} did not receive the page's broadcast")
                continue
            frame = next(f for f in client.inbox.snapshot() if self.protocol.decode(f.text) == text)
            sender = self.protocol.sender_of(frame.text)
            if sender not in (None, PAGE_USER):
                self.problems.append(f"{user} got the page's broadcast as sent by {sender!r}")

    def close(self) -> None:
        """Each scripted socket is closed in the background: a close is bounded (ChatClient's
        2 s for the close frame, 3 s for its reader), and a server that never answers one
        (a mute consumer) must not hold the verdict that long."""
        for client in self.clients.values():
            threading.Thread(target=client.close, name=f"close-{client.username}", daemon=True).start()


def check_chat_page(
    browser: Browser, base_url: str, protocol: Protocol, warmup_timeout: float = WARMUP_TIMEOUT
) -> BrowserFinding:
    """Run the check against the chat server at ``base_url``; never raises for what it finds.
    ``warmup_timeout`` is shorter where the mode's scripted session already found the
    server deaf (DEAF_WARMUP): as the delivery matrix, it does not wait that out again."""
    began = time.monotonic()
    check = _Check(browser, base_url, protocol, warmup_timeout)
    try:
        check.run()
    except ClientError as exc:
        check.problems.append(f"a scripted user could not chat: {exc}")
    except DRIVER_ERRORS as exc:  # a command that outlived its bound: the page hangs
        check.problems.append(f"the browser stopped answering: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    finally:
        check.close()
        check.lap("scripted users leave")
    # Read last: the socket's state and everything the console got during the check.
    try:
        sockets = check.page.sockets()
        errors = check.page.console_errors()
    except DRIVER_ERRORS:
        sockets, errors = [], []  # already said: the browser stopped answering
    socket = sockets[0] if sockets else check.socket
    check.page.leave()  # the page's socket closes here, not during the next check
    check.lap("console and leave")
    findings = [f"console error: {errors[0]}"] if errors else []
    if socket is not None and socket.opened and socket.close_code is not None:
        findings.append(f"the page's socket {socket.closed}")
    findings += check.problems
    if findings:
        detail = "; ".join(findings)
    else:
        detail = (
            f"{PAGE_USER} logged in through the form; admin's broadcast, private and group message shown once "
            "each; the page's broadcast reached admin and mary"
        )
    return BrowserFinding(
        ok=not findings,
        detail=detail,
        socket_url=socket.url if socket else "",
        extensions=socket.extensions if socket else "",
        protocol=socket.protocol if socket else "",
        close=socket.closed if socket else "",
        console_errors=errors,
        browser=browser.version,
        seconds=round(time.monotonic() - began, 2),
        phases=check.phases,
    )
