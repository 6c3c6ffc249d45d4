"""The bridge between the pytest scenarios and the results file.

The runner runs pytest in-process with a ``Collector`` registered; scenarios
hand it what they observed (through the ``record_delivery`` and
``record_check`` fixtures).  Run on their own, the scenarios still assert.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from harness.run.delivery import DeliveryResult

COLLECTOR_KEY = pytest.StashKey["Collector"]()


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

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[COLLECTOR_KEY] = self

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


def collector_of(config: pytest.Config) -> Collector | None:
    return config.stash.get(COLLECTOR_KEY, None)
