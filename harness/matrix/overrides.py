"""``--with PKG=SPEC``: replace one package of the system under test with another
release, a local checkout or a wheel file, as ``deps = -e ../pkg`` does in tox.

An override becomes part of the env's name (``py311-django42-channels4@channels-redis==4.0.0``),
so its results file and its SUT venv are its own and the pinned env's stay as
they were.  A checkout or a wheel is named by a hash of its contents
(``@channels=src-1a2b3c4d``): an edit gives a new venv, the same tree reuses it.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from harness.errors import BadInput

OVERRIDE_MARK = "@"
PROJECT_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
# What a checkout holds that is not the package: left out of its hash.
SKIPPED_DIRS = {".git", ".hg", ".tox", ".nox", ".venv", "venv", "__pycache__", "build", "dist", ".mypy_cache"}
MAX_HASHED_FILES = 50_000  # a bound on the walk: a checkout, not a home folder


@dataclass(frozen=True)
class Override:
    """One ``--with``: the package, what replaces it, and its short key."""

    package: str  # canonical name, e.g. "channels-redis"
    kind: str  # "version" | "path" | "wheel"
    value: str  # the version, or the absolute path
    key: str  # "==4.0.0", "=src-1a2b3c4d", "=whl-1a2b3c4d"

    @property
    def requirement(self) -> str:
        if self.kind == "version":
            return f"{self.package}=={self.value}"
        return f"{self.package} @ {Path(self.value).as_uri()}"

    @property
    def label(self) -> str:
        """For results and reports: "channels-redis==4.0.0", "channels=src-1a2b3c4d (/src/channels)"."""
        text = f"{self.package}{self.key}"
        return text if self.kind == "version" else f"{text} ({self.value})"

    def as_result(self) -> dict[str, str]:
        return {"package": self.package, "kind": self.kind, "value": self.value, "key": self.key}


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    count = 0
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            count += 1
            if count > MAX_HASHED_FILES:
                raise BadInput(f"--with: {root} holds more than {MAX_HASHED_FILES} files: is it a package checkout?")
            path = Path(folder) / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            if not path.is_symlink():
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:8]


def parse_override(text: str) -> Override:
    """``PKG=SPEC``: SPEC is an exact version, a folder with a package, or a ``.whl`` file."""
    package, sep, spec = text.partition("=")
    if not sep or not package or not spec:
        raise BadInput(f"--with {text!r}: expected PKG=SPEC (a version, a checkout folder or a wheel file)")
    if not PROJECT_NAME.match(package):
        raise BadInput(f"--with {text!r}: {package!r} is not a package name")
    name = canonicalize_name(package)
    spec = spec.removeprefix("=")  # PKG==1.2 reads as PKG=1.2
    path = Path(spec).expanduser()
    if path.exists():
        return _local(name, path.resolve(), text)
    if "/" in spec or spec.startswith(".") or spec.endswith(".whl"):
        raise BadInput(f"--with {text!r}: no such file or folder {spec!r}")
    try:
        Version(spec)
    except InvalidVersion:
        raise BadInput(f"--with {text!r}: {spec!r} is neither a version nor an existing path") from None
    return Override(name, "version", spec, f"=={spec}")


def _local(name: str, path: Path, text: str) -> Override:
    if path.is_dir():
        if not any((path / marker).is_file() for marker in ("pyproject.toml", "setup.py")):
            raise BadInput(f"--with {text!r}: {path} has no pyproject.toml or setup.py")
        return Override(name, "path", str(path), f"=src-{_tree_hash(path)}")
    if path.suffix != ".whl":
        raise BadInput(f"--with {text!r}: {path} is not a wheel (.whl) or a folder")
    project = canonicalize_name(path.name.split("-")[0])
    if project != name:
        raise BadInput(f"--with {text!r}: {path.name} is a wheel of {project}, not {name}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    return Override(name, "wheel", str(path), f"=whl-{digest}")


def parse_overrides(texts: Iterable[str]) -> tuple[Override, ...]:
    overrides = tuple(parse_override(text) for text in texts)
    names = [o.package for o in overrides]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise BadInput(f"--with names {', '.join(twice)} more than once")
    return tuple(sorted(overrides, key=lambda o: o.package))


def override_suffix(overrides: Sequence[Override]) -> str:
    return "".join(f"{OVERRIDE_MARK}{o.package}{o.key}" for o in overrides)


def split_overrides(name: str) -> tuple[str, str]:
    """("py311-django42-channels4", "@channels-redis==4.0.0") for an env name with overrides."""
    base, mark, rest = name.partition(OVERRIDE_MARK)
    return base, mark + rest


def requirement_name(requirement: str) -> str:
    """The canonical project name a requirement line names ("Django>=4.1,<4.2" -> "django")."""
    match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return canonicalize_name(match.group(1)) if match else ""
