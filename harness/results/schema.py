"""The results file of one env: a plain versioned dict, with typed verdicts.

The report is generated from these files only, so everything the report shows
must be in here: the env's facts (Python, Django, stack and every installed
package, Redis), its verdict (``status``, ``as_expected``, one-line ``reason``,
the ``unexpected`` lines, each mode's ``ModeVerdict``), one entry per server
mode run (start-up, logs, exceptions), every delivery cell and check of every
run, and timings.  The runner computes the verdict once; readers only read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.errors import BadResults

SCHEMA = 2
LOAD_SCHEMA = 1  # of the load figures files (reports/load/*.json)
# Outcomes of an item, a mode and an env, worst first (see harness/run/verdict.py).
# "logged-errors": every check passed, but the server logged exceptions that no
# check provoked and no expectation names (harness/sut/serverlog.py).
STATUSES = ("error", "fail", "unexpected-pass", "flaky", "logged-errors", "known", "pass", "not-tested")
OUTCOME_RANK = {outcome: rank for rank, outcome in enumerate(STATUSES)}
STATUS_SYMBOL = {
    "pass": "✓",
    "fail": "✗",
    "known": "✗",  # a known failure is still a failure of the stack; the report says it is known
    "unexpected-pass": "✓",
    "flaky": "≈",
    "logged-errors": "✓!",  # passed, yet the server's log holds exceptions: not a plain pass
    "error": "⚠",  # the harness failed itself: no verdict on the stack
    "not-tested": "─",
}
STATUS_LABEL = {
    "pass": "✓ pass",
    "fail": "✗ fail",
    "known": "✗ known failure",
    "unexpected-pass": "✓ unexpected pass",
    "flaky": "≈ flaky",
    "logged-errors": "✓! pass, server logged errors",
    "error": "⚠ harness error",
    "not-tested": "─ not tested",
}


@dataclass
class ItemVerdict:
    """One item (a stage, a cell or a check) over its runs."""

    item: str
    outcome: str
    as_expected: bool
    failures: int
    runs: int
    detail: str
    expectation: str | None = None  # the id of the expected outcome it matched
    cause: str | None = None
    upstream: list[str] = field(default_factory=list)


@dataclass
class ModeVerdict:
    """One server mode ("" for the env's own stages) over its runs."""

    name: str
    outcome: str
    as_expected: bool
    reason: str
    runs: int
    item_count: int
    passed: int
    items: list[ItemVerdict]  # every item that is not a plain pass

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ModeVerdict:
        return ModeVerdict(**{**data, "items": [ItemVerdict(**item) for item in data["items"]]})


def mode_verdicts(result: dict[str, Any]) -> list[ModeVerdict]:
    return [ModeVerdict.from_dict(mode) for mode in result["modes"]]


REQUIRED_KEYS = (
    "schema",
    "env",
    "python",
    "django",
    "stack",
    "redis",
    "status",
    "as_expected",
    "reason",
    "unexpected",
    "modes",
    "servers",
    "deliveries",
    "checks",
    "timings",
)


def timestamp() -> str:
    """Now, in UTC, as results and figures files record it."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def new_result(env: str, python: str, django: str, stack_name: str, stack_version: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "env": env,
        "python": python,
        "django": django,
        "stack": {"name": stack_name, "version": stack_version, "packages": {}},
        "redis": {"source": None, "version": None},
        "status": "error",
        "as_expected": False,
        "reason": "run did not finish",
        "unexpected": [],
        "stale": [],
        "variant": "",
        "suite": "",  # e.g. "deep": the env-name suffix that added checks
        "deep": False,  # the heavy checks ran
        "every_mode": False,  # per-server checks ran in every mode, not the first of each server
        "server_checks": True,  # per-server checks ran (a row of full may leave them to its column's)
        "server_checks_row": "",  # where they did not: the env of this column that runs them
        "modes": [],
        "servers": [],
        "deliveries": [],
        "checks": [],
        "timings": {},
        "started_at": None,
        "finished_at": None,
    }


def validate(data: object, source: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadResults(f"{source}: not a JSON object")
    if data.get("schema") != SCHEMA:
        raise BadResults(
            f"{source}: results schema {data.get('schema')!r}, this harness reads schema {SCHEMA} "
            "(verdicts with expected outcomes): re-run the env"
        )
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise BadResults(f"{source}: missing keys {', '.join(missing)}")
    if data["status"] not in STATUSES:
        raise BadResults(f"{source}: status {data['status']!r} is not one of {', '.join(STATUSES)}")
    try:
        modes = mode_verdicts(data)
    except (TypeError, KeyError) as exc:
        raise BadResults(f"{source}: a mode verdict is malformed ({exc}); re-run the env") from None
    bad = [m.name for m in modes if m.outcome not in STATUSES]
    if bad:
        raise BadResults(f"{source}: mode {bad[0]!r} has an unknown outcome")
    return data


def summary_line(results: list[dict[str, Any]]) -> str:
    """How many envs were as expected, by outcome."""
    expected = [r for r in results if r["as_expected"]]
    counts: dict[str, int] = {}
    for result in expected:
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    text = f"{len(expected)} of {len(results)} envs as expected" + (f" ({parts})" if parts else "")
    unexpected = sum(len(r["unexpected"]) for r in results)
    return text + (f"; {unexpected} unexpected outcome(s)" if unexpected else "")
