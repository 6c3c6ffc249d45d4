"""The chat page as a user drives it in Chromium: the login form, the billboard, the input
and its button; and what the page's sockets did, seen from inside the page.

Before any page script runs, ``SOCKET_WATCH`` wraps the page's ``WebSocket`` constructor
so that each socket the page opens is noted (URL, whether it opened, the negotiated
extensions and protocol, the close code and reason).  The wrapper returns the browser's
own socket: the page's code talks to it unchanged.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import urllib3
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.common.by import By

from harness.browser.chromium import PAGE_LOAD_TIMEOUT, Browser

LOGIN_PATH = "/accounts/login/?next=/"
POLL = 0.05
NO_SOCKET_GRACE = 1.0  # seconds after the page's load event for its script to open a socket
T = TypeVar("T")

SOCKET_WATCH = """
(function () {
  var Native = window.WebSocket;
  if (!Native || Native.__harnessWatched) { return; }
  var seen = [];
  window.__harnessSockets = seen;
  function Watched(url, protocols) {
    var ws = arguments.length > 1 ? new Native(url, protocols) : new Native(url);
    var note = {url: String(ws.url), opened: false, extensions: "", protocol: "",
                closeCode: null, closeReason: "", wasClean: null};
    seen.push(note);
    ws.addEventListener("open", function () {
      note.opened = true; note.extensions = ws.extensions; note.protocol = ws.protocol;
    });
    ws.addEventListener("close", function (e) {
      note.closeCode = e.code; note.closeReason = e.reason; note.wasClean = e.wasClean;
    });
    return ws;
  }
  Watched.prototype = Native.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { Watched[k] = Native[k]; });
  Watched.__harnessWatched = true;
  window.WebSocket = Watched;
})();
"""


@dataclass(frozen=True)
class PageSocket:
    """One WebSocket the page opened, as the page saw it."""

    url: str
    opened: bool
    extensions: str
    protocol: str
    close_code: int | None
    close_reason: str

    @staticmethod
    def from_page(note: dict[str, Any]) -> PageSocket:
        code = note.get("closeCode")
        return PageSocket(
            url=str(note.get("url", "")),
            opened=bool(note.get("opened")),
            extensions=str(note.get("extensions") or ""),
            protocol=str(note.get("protocol") or ""),
            close_code=int(code) if code is not None else None,
            close_reason=str(note.get("closeReason") or ""),
        )

    @property
    def closed(self) -> str:
        """ "" while open; "closed 1006" / "closed 1011 (reason)" once closed."""
        if self.close_code is None:
            return ""
        return f"closed {self.close_code}" + (f" ({self.close_reason})" if self.close_reason else "")


def wait_until(condition: Callable[[], T], timeout: float) -> T | None:
    """``condition()`` once truthy, polled until ``timeout``; its last value otherwise."""
    deadline = time.monotonic() + timeout
    value = condition()
    while not value and time.monotonic() < deadline:
        time.sleep(POLL)
        value = condition()
    return value


class ChatPage:
    """One user's tab on the chat server at ``base_url``."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        assert browser.driver is not None
        self.driver = browser.driver
        self.browser = browser
        self.base_url = base_url.rstrip("/")

    def login(self, username: str, password: str, timeout: float) -> str:
        """Fill in and submit the login form; "" once on the chat page, else what went wrong."""
        try:
            self.driver.get(self.base_url + LOGIN_PATH)
            self.driver.find_element(By.NAME, "username").send_keys(username)
            field = self.driver.find_element(By.NAME, "password")
            field.send_keys(password)
            field.submit()
            landed = wait_until(lambda: self._path() == "/", timeout)
        except TimeoutException:
            return f"a page of the login did not load within {PAGE_LOAD_TIMEOUT:.0f} s (the server hung a request)"
        except WebDriverException as exc:
            return f"login form not usable: {exc.msg or type(exc).__name__}"
        return "" if landed else f"login through the form did not reach the chat page (at {self._path()!r})"

    def _path(self) -> str:
        return str(self.driver.execute_script("return location.pathname;"))

    def sockets(self) -> list[PageSocket]:
        notes = self.driver.execute_script("return window.__harnessSockets || [];")
        return [PageSocket.from_page(note) for note in notes or []]

    def await_socket(self, timeout: float) -> PageSocket | None:
        """The page's first socket once it opened or closed; None when it made none."""

        loaded_at: list[float] = []

        def settled() -> PageSocket | bool | None:
            found = self.sockets()
            if found:
                return found[0] if found[0].opened or found[0].close_code is not None else None
            # No socket yet: a page whose scripts have all run and that made none in
            # NO_SOCKET_GRACE after its load event will not make one by itself.
            if not loaded_at and self.driver.execute_script("return document.readyState;") == "complete":
                loaded_at.append(time.monotonic())
            return bool(loaded_at) and time.monotonic() - loaded_at[0] >= NO_SOCKET_GRACE

        wait_until(settled, timeout)
        return next(iter(self.sockets()), None)

    def shown(self, text: str) -> int:
        """How many times ``text`` appears in the page's visible text."""
        body = self.driver.execute_script("return document.body ? document.body.innerText : '';")
        return str(body).count(text)

    def await_shown(self, texts: list[str], timeout: float) -> bool:
        return bool(wait_until(lambda: all(self.shown(text) for text in texts), timeout))

    def send(self, text: str) -> str:
        """Type ``text`` into the page's input and press its button; "" or what went wrong."""
        try:
            field = self.driver.find_element(By.CSS_SELECTOR, "input#text, input[type=text]")
            field.clear()
            field.send_keys(text)
            self.driver.find_element(By.CSS_SELECTOR, "button").click()
        except WebDriverException as exc:
            return f"the page's input and button are not usable: {exc.msg or type(exc).__name__}"
        return ""

    def leave(self) -> None:
        with contextlib.suppress(WebDriverException, urllib3.exceptions.HTTPError):
            self.driver.get("about:blank")

    def console_errors(self) -> list[str]:
        """The console's errors (level SEVERE) since the last read."""
        return [str(entry.get("message", "")) for entry in self.browser.console() if entry.get("level") == "SEVERE"]
