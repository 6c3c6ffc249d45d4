"""The results file of one env: a plain versioned dict.

The report is generated from these files only, so everything the report shows
must be in here: the env's facts (Python, Django, stack and every installed
package, Redis), its status and one-line reason, one entry per server mode
(start-up, logs, exceptions), every delivery cell and check, and timings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from harness.errors import BadResults

SCHEMA = 1
LOAD_SCHEMA = 1  # of the load figures files (reports/load/*.json)
STATUSES = ("pass", "fail", "error", "not-tested")
STATUS_SYMBOL = {"pass": "✓", "fail": "✗", "error": "✗", "not-tested": "─"}
REQUIRED_KEYS = (
    "schema",
    "env",
    "python",
    "django",
    "stack",
    "redis",
    "status",
    "reason",
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
        "reason": "run did not finish",
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
        raise BadResults(f"{source}: schema {data.get('schema')!r}, expected {SCHEMA}; re-run the env")
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise BadResults(f"{source}: missing keys {', '.join(missing)}")
    if data["status"] not in STATUSES:
        raise BadResults(f"{source}: status {data['status']!r} is not one of {', '.join(STATUSES)}")
    return data
