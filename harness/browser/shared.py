"""One browser per driver process, shared by the checks of every server mode it runs.

Starting Chromium costs a second or two of CPU; a run drives up to nine modes one
after another, each on its own port (so its own origin: cookies never cross).  The
browser is started in the background as soon as a run knows it will need it
(``prestart``), so its start-up hides behind the delivery matrix, and it is stopped
when the process ends, or earlier by ``stop_all`` (it is a ``ManagedProcess``): a
later check then starts a new one.
"""

from __future__ import annotations

import atexit
import threading
from concurrent.futures import Future

from harness.browser.chromium import Browser, find_browser
from harness.browser.page import SOCKET_WATCH

_lock = threading.Lock()
_starting: Future[Browser] | None = None


def _start() -> Browser:
    browser = Browser(find_browser())
    try:
        browser.before_each_page(SOCKET_WATCH)
    except BaseException:
        browser.close()
        raise
    return browser


def _starter() -> Future[Browser]:
    """The pending or done start of the shared browser; a new one when that one is gone."""
    global _starting
    with _lock:
        current = _starting
        if current is not None and current.done() and not current.exception():
            if current.result().process.alive():
                return current
            current.result().close()
            current = None
        if current is None or (current.done() and current.exception()):
            current = Future()
            _starting = current
            threading.Thread(target=_run, args=(current,), name="browser-start", daemon=True).start()
        return current


def _run(future: Future[Browser]) -> None:
    try:
        future.set_result(_start())
    except BaseException as exc:  # NoBrowser, or anything else: the check reports it
        future.set_exception(exc)


def prestart() -> None:
    """Start the shared browser in the background (no-op when it is up or starting)."""
    _starter()


def shared_browser(timeout: float = 60.0) -> Browser:
    """The shared browser, waiting (bounded) for its start; raises what the start raised."""
    return _starter().result(timeout=timeout)


@atexit.register
def close_shared() -> None:
    global _starting
    with _lock:
        current, _starting = _starting, None
    if current is not None and current.done() and not current.exception():
        current.result().close()
