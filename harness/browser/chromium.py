"""An installed Chromium, headless, driven by Selenium through the chromedriver of the same
install: nothing is downloaded (Selenium Manager is never asked), and every process is ours.

chromedriver runs as a ``ManagedProcess`` (its own process group; Chromium and its helpers
are its children there), and Selenium talks to it as a remote end, so stopping the browser
is the harness's INT, TERM, KILL of that group on every exit path, and ``stop_all`` covers
a crash of the driver.  Chrome's crash handler leaves the group (it calls setsid); it is
found by the run's own profile folder and stopped too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from selenium.common.exceptions import WebDriverException
from selenium.webdriver import ChromeOptions, Remote
from selenium.webdriver.chromium.remote_connection import ChromiumRemoteConnection
from selenium.webdriver.remote.client_config import ClientConfig
from selenium.webdriver.remote.command import Command

from harness.clients import loopback_session
from harness.errors import HarnessError
from harness.sut.ports import LOOPBACK, free_port, release
from harness.sut.procs import ManagedProcess

# Where Debian's packages put them (`apt-get install chromium chromium-driver`); the
# variables point elsewhere (another install, or a missing path to test the "no browser" path).
CHROMIUM_ENV, CHROMEDRIVER_ENV = "HARNESS_CHROMIUM", "HARNESS_CHROMEDRIVER"
CHROMIUM_NAMES = ("chromium", "chromium-browser")
CHROMEDRIVER_NAMES = ("chromedriver",)
INSTALL_HINT = "apt-get install chromium chromium-driver"
DRIVER_READY_TIMEOUT = 10.0  # chromedriver answering /status
# A page that never finishes loading (a server that hangs a request) ends a navigation
# with the driver's TimeoutException well before the command itself times out.
PAGE_LOAD_TIMEOUT = 10.0
# The page's scripts are ours and return at once; the driver's default (30 s) would
# outlast COMMAND_TIMEOUT, so a script lost in a navigation would read as a dead browser.
SCRIPT_TIMEOUT = 5.0
# Any one WebDriver command, the session's start included. A form's submit is a script and
# then a navigation, so it may take both driver bounds; the rest is slack for a busy machine
# (a CI run saw a submit to a hung page outlast 20 s).
COMMAND_TIMEOUT = PAGE_LOAD_TIMEOUT + SCRIPT_TIMEOUT + 15.0
ARGS = (
    "--headless=new",
    "--no-sandbox",  # as root (CI) Chromium refuses to start sandboxed
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-crash-reporter",
    "--disable-breakpad",
    "--window-size=1000,800",
)


class _DriverProcess(ManagedProcess):
    """chromedriver's group: gone once no member is alive.  Chrome's helpers, orphaned when
    Chrome exits, are reaped by init at its own pace (about 1.7 s here) and linger as
    zombies meanwhile; waiting for them would add that to every run for nothing."""

    def _group_gone(self) -> bool:
        self.popen.poll()  # reap chromedriver itself
        return not _live_members(self.popen.pid)


def _live_members(group: int) -> list[int]:
    """The processes of process group ``group`` that are not zombies (from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class NoBrowser(HarnessError):
    """No Chromium or no chromedriver on this machine: the browser check is not tested."""


@dataclass(frozen=True)
class BrowserInstall:
    chromium: Path
    chromedriver: Path


def _which(variable: str, names: tuple[str, ...]) -> Path | None:
    if os.environ.get(variable):
        path = Path(os.environ[variable])
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = next((shutil.which(name) for name in names if shutil.which(name)), None)
    return Path(found) if found else None


def find_browser() -> BrowserInstall:
    """The installed Chromium and chromedriver, or NoBrowser saying what is missing."""
    chromium = _which(CHROMIUM_ENV, CHROMIUM_NAMES)
    driver = _which(CHROMEDRIVER_ENV, CHROMEDRIVER_NAMES)
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if path is None]
    if chromium is None or driver is None:
        raise NoBrowser(f"no {' and no '.join(missing)} found ({INSTALL_HINT})")
    return BrowserInstall(chromium, driver)


class Browser:
    """One headless Chromium session; ``driver`` is Selenium's WebDriver for it."""

    def __init__(self, install: BrowserInstall) -> None:
        self.install = install
        self.profile = Path(tempfile.mkdtemp(prefix="harness-chromium-"))
        self.port = free_port()
        self.process = _DriverProcess(
            [str(install.chromedriver), f"--port={self.port}", f"--allowed-ips={LOOPBACK}"],
            self.profile / "chromedriver.log",  # gone with the profile; its last lines go into errors
        )
        self.driver: Remote | None = None
        try:
            self._await_driver()
            self.driver = self._session()
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def _await_driver(self) -> None:
        deadline = time.monotonic() + DRIVER_READY_TIMEOUT
        with loopback_session() as session:  # the browser starts in a thread
            while time.monotonic() < deadline:
                if not self.process.alive():
                    raise NoBrowser(f"chromedriver exited at start: {self.process.last_log_lines(3)}")
                with contextlib.suppress(requests.RequestException):
                    if session.get(self.url + "/status", timeout=1).ok:
                        return
                time.sleep(0.05)
        raise NoBrowser(f"chromedriver did not answer within {DRIVER_READY_TIMEOUT:.0f} s")

    def _session(self) -> Remote:
        options = ChromeOptions()
        options.binary_location = str(self.install.chromium)
        for arg in (*ARGS, f"--user-data-dir={self.profile}"):
            options.add_argument(arg)
        # The console, as the page's user would see it in DevTools.
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        config = ClientConfig(remote_server_addr=self.url, timeout=int(COMMAND_TIMEOUT))
        connection = ChromiumRemoteConnection(
            remote_server_addr=self.url,
            vendor_prefix="goog",
            browser_name="chrome",
            ignore_proxy=True,  # a loopback driver: never through an HTTP proxy of the environment
            client_config=config,
        )
        try:
            driver = Remote(command_executor=connection, options=options)
        except WebDriverException as exc:
            raise NoBrowser(f"Chromium did not start: {(exc.msg or str(exc)).splitlines()[0]}") from exc
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        driver.set_script_timeout(SCRIPT_TIMEOUT)
        return driver

    @property
    def version(self) -> str:
        return str(self.driver.capabilities.get("browserVersion", "")) if self.driver else ""

    def console(self) -> list[dict[str, Any]]:
        """The console entries since the last call (level, message, timestamp)."""
        assert self.driver is not None
        return list(self.driver.execute(Command.GET_LOG, {"type": "browser"})["value"])

    def before_each_page(self, script: str) -> None:
        """Run ``script`` in every page before the page's own scripts (DevTools protocol)."""
        assert self.driver is not None
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": script})

    def close(self) -> None:
        """Quit politely, then stop the process group whatever happened; never raises."""
        if self.driver is not None:
            with contextlib.suppress(Exception):  # a dead driver must not keep the browser alive
                self.driver.quit()
            self.driver = None
        self.process.stop()
        release(self.port)
        _stop_strays(self.profile)
        shutil.rmtree(self.profile, ignore_errors=True)


def _stop_strays(profile: Path) -> None:
    """Processes that left the group (Chrome's crash handler calls setsid) yet name our
    profile folder on their command line: ours, stopped by pid."""
    marker = str(profile).encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if marker in args:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


@contextlib.contextmanager
def open_browser() -> Iterator[Browser]:
    """A started browser for the block, stopped on every way out of it."""
    browser = Browser(find_browser())
    try:
        yield browser
    finally:
        browser.close()
