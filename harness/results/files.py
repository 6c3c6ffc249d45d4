"""Writing and reading results folders: atomic writes, one-line errors for bad files."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from harness.errors import BadResults
from harness.results.schema import validate


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
    # A run on several server processes per mode (--processes N) is its own file, beside the usual one.
    processes = int(result.get("processes") or 1)
    path = results_dir / f"{result['env']}{f'--p{processes}' if processes > 1 else ''}.json"
    write_atomic(path, json.dumps(result, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    return path


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
