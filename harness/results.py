"""The results file of one env: a plain versioned dict, written atomically.

The report is generated from these files only, so everything the report
shows must be in here (see the "Results" contract in DESIGN.md).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

SCHEMA = 1
STATUSES = ("pass", "fail", "error", "not-tested")
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


class BadResults(ValueError):
    """A results file that is not a schema-1 results document."""


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


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temp file and a rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(result: dict[str, Any], results_dir: Path) -> Path:
    validate(result, source=result.get("env", "?"))
    path = results_dir / f"{result['env']}.json"
    write_atomic(path, json.dumps(result, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    return path


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


def read_json_files(folder: Path, remedy: str) -> list[tuple[Path, Any]]:
    """Every ``*.json`` in ``folder``, sorted, parsed; a broken one is a ``BadResults``."""
    out = []
    for path in sorted(folder.glob("*.json")):
        try:
            out.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except ValueError as exc:
            raise BadResults(f"{path}: not valid JSON ({exc}); delete it or {remedy}") from exc
    return out


def load_all(results_dir: Path) -> list[dict[str, Any]]:
    """Every results file in ``results_dir``, sorted by env name."""
    loaded = []
    for path, data in read_json_files(results_dir, "re-run its env"):
        loaded.append(validate(data, str(path)))
    return loaded
