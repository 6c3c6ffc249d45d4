"""The bridge between the pytest scenarios and the results file.

The runner runs pytest in-process with a ``Collector`` registered; scenarios
hand it what they observed (through the ``record_delivery`` and
``record_check`` fixtures).  Run on their own, the scenarios still assert.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.run.delivery import DeliveryResult
from harness.sut.serverlog import log_size

COLLECTOR_KEY = pytest.StashKey["Collector"]()
PROVOKES = "provokes_server_errors"  # the marker of a test that provokes server exceptions on purpose
# A provoked exception is logged a while after the client saw its effect: daphne logs
# a dead application only when its checker next runs, once a second (daphne 4.2.3,
# daphne/server.py lines 268-314: reactor.callLater(1, self.application_checker)).
PROVOKED_LOG_GRACE = 1.2
# Set on a provoking test that sent the server nothing (its session was deaf): it owes no grace.
SENT_NOTHING = pytest.StashKey[bool]()


@dataclass
class Collector:
    deliveries: list[DeliveryResult] = field(default_factory=list)
    checks: list[dict[str, object]] = field(default_factory=list)
    # Observed facts, not verdicts, kept in the mode's server entry (e.g. "browser":
    # the real browser's negotiated extensions; "deflate": what the server accepted).
    facts: dict[str, object] = field(default_factory=dict)
    # Scenarios that broke instead of judging: a failed setup (a client could not
    # log in) or an exception other than the scenario's own assertion.
    errors: list[str] = field(default_factory=list)
    # The server's log (``--chat-server-log``), and the (test, start, end) byte ranges
    # written to it while a test marked provokes_server_errors ran (DECISIONS 4).
    server_log: Path | None = None
    provoked: list[tuple[str, int, int]] = field(default_factory=list)
    # Every scripted user's socket heard nothing at all in the session: a later session
    # of the mode (its late checks) needs only a short warm-up to confirm it.
    deaf: bool = False
    _grace_owed: bool = False

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[COLLECTOR_KEY] = self

    def absorb(self, later: Collector) -> None:
        """What a later run of the same mode's scenarios observed (its late checks)."""
        self.deliveries += later.deliveries
        self.checks += later.checks
        self.errors += [error for error in later.errors if error not in self.errors]
        self.provoked += later.provoked

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None):
        log = self.server_log or _option_path(item.config)
        if log is None or item.get_closest_marker(PROVOKES) is None:
            return (yield)
        start = log_size(log)
        try:
            return (yield)
        finally:
            # What the server writes late (a traceback after the close) still belongs to
            # a provoking test: wait for it before an ordinary test's range begins, once
            # per run of provoking tests (one module today), and only if one of them sent
            # the server something.  Before another provoking test there is no need: a
            # late line lands in that test's range, provoked all the same (credited to
            # the later check).
            self._grace_owed = self._grace_owed or not item.stash.get(SENT_NOTHING, False)
            if self._grace_owed and (nextitem is None or nextitem.get_closest_marker(PROVOKES) is None):
                time.sleep(PROVOKED_LOG_GRACE)
                self._grace_owed = False
            self.provoked.append((item.name, start, log_size(log)))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        judged = report.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(AssertionError)
        if report.failed and not judged:
            if call.excinfo is not None:
                line = (
                    f"{call.excinfo.typename}: {call.excinfo.value}"
                    if report.when == "call"
                    else str(call.excinfo.value)
                )
            else:
                line = report.longreprtext.splitlines()[-1]
            if line not in self.errors:
                self.errors.append(line)
        return report


def _option_path(config: pytest.Config) -> Path | None:
    value = config.getoption("--chat-server-log", None)
    return Path(value) if value else None


def collector_of(config: pytest.Config) -> Collector | None:
    return config.stash.get(COLLECTOR_KEY, None)
