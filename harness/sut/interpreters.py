"""Find the interpreter an env needs: pyenv versions, PATH, uv-managed Pythons.

Interpreters are found, not configured; an absent one is a "not tested" row.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PROBE = "import sys, platform; sys.stdout.write(platform.python_version())"


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: str  # exact, e.g. "2.7.18"

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.version.split(".")[:2])


def _pyenv_candidates(version: str) -> list[Path]:
    root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    versions = Path(root) / "versions"
    if not versions.is_dir():
        return []
    found = []
    for folder in sorted(versions.iterdir(), reverse=True):
        if folder.name == version or folder.name.startswith(version + "."):
            found.append(folder / "bin" / f"python{version}")
    return found


def _uv_candidates(version: str) -> list[Path]:
    uv = shutil.which("uv")
    if not uv:
        return []
    try:
        out = subprocess.run(
            [uv, "python", "find", "--no-python-downloads", version],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [Path(out.stdout.strip())] if out.returncode == 0 and out.stdout.strip() else []


def _probe(path: Path, version: str) -> Interpreter | None:
    if not path.is_file() or not os.access(path, os.X_OK):
        return None
    try:
        out = subprocess.run([str(path), "-c", PROBE], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    exact = out.stdout.strip()
    if out.returncode != 0 or not (exact == version or exact.startswith(version + ".")):
        return None  # a pyenv shim answering for another version, or a broken build
    return Interpreter(path, exact)


def find_interpreter(version: str) -> Interpreter | None:
    """The first working ``python<version>`` from pyenv, PATH, then uv."""
    on_path = shutil.which(f"python{version}")
    candidates = _pyenv_candidates(version) + ([Path(on_path)] if on_path else [])
    for candidate in candidates:
        found = _probe(candidate, version)
        if found:
            return found
    for candidate in _uv_candidates(version):
        found = _probe(candidate, version)
        if found:
            return found
    return None
