"""What a results file says about the stack axis: the release line, the release a
row tests and why, whether the lock pinned it, and any ``--with`` overrides."""

from __future__ import annotations

from typing import Any

from harness.matrix.envs import EnvSpec
from harness.matrix.lock import locked_row


def stack_axis(spec: EnvSpec) -> dict[str, Any]:
    row = None if spec.latest else locked_row(spec.row)
    if spec.latest:
        pinning = "latest: the newest releases PyPI offers today"
        pinning += " (Django pre-releases too)" if spec.django_pre else ""
    elif row is not None:
        pinning = f"lock row {spec.row} ({row.resolved_by})"
    else:
        pinning = "not in the lock: its inputs as they are (run `harness lock ENV`)"
    return {
        "release": {
            "line": spec.release_key,
            "title": spec.stack.title,
            "version": spec.stack_version,
            "pick": "latest" if spec.latest else spec.pick.how,
            "pinning": pinning,
        },
        "latest": spec.latest,
        "overrides": [o.as_result() for o in spec.overrides],
    }
