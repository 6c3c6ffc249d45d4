"""The committed lock (``matrix.lock.json``): each row's exact requirements.

A row is ``py<XY>-django<XY>-<line>``; its inputs are the Django line, the
release ``lines.pick`` chooses and the line's companions (``StackRelease.companions``,
exact, bounded or bare).  ``harness lock`` resolves them the way a user's
resolver does today (``uv pip compile`` against PyPI for that Python) and
writes every version of the result here.  Refreshing is a deliberate command
and commit; a run only reads the file.  Python 2.7 rows, which uv cannot
resolve for, carry the exact versions pip installed for them (``FROZEN``): no
release for 2.7 is still being made.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from harness.matrix.releases import STACK_RELEASES
from harness.paths import ROOT

LOCK_FILE = ROOT / "matrix.lock.json"
Version = tuple[int, int]

# The final release of each Django line that is no longer maintained (their
# series ended; a resolver picks these today), for the rows uv cannot resolve.
DJANGO_FINAL = {
    (1, 8): "1.8.19", (1, 9): "1.9.13", (1, 10): "1.10.8", (1, 11): "1.11.29", (2, 0): "2.0.13",
    (2, 1): "2.1.15", (2, 2): "2.2.28", (3, 0): "3.0.14", (3, 1): "3.1.14", (3, 2): "3.2.25",
}  # fmt: skip
# What pip installed for the frozen rows (read from their SUT venvs), by bounded
# companion: gevent 22.10.2 is the newest that installs on 2.7.
FROZEN = {
    "gevent": ("gevent==22.10.2", "greenlet==2.0.2", "zope.event==4.6", "zope.interface==5.5.2"),
    "redis<3.6": ("redis==3.5.3",),
    "redis<4": ("redis==3.5.3",),
}


@dataclass(frozen=True)
class Row:
    """One locked row: the release tested and every exact requirement."""

    key: str
    release: str
    pick: str  # lines.Pick.how: "declared", "admitted" or "beyond"
    requirements: tuple[str, ...]
    direct: tuple[str, ...]  # canonical names of the inputs (the rest came with them)
    resolved_by: str  # the command, "frozen ...", or "unresolvable: <why>"

    @property
    def exact(self) -> bool:
        return all("==" in r for r in self.requirements)


def row_key(python: Version, django: Version, release_key: str) -> str:
    return f"py{python[0]}{python[1]}-django{django[0]}{django[1]}-{release_key}"


def django_range(django: Version) -> str:
    major, minor = django
    return f"Django>={major}.{minor},<{major}.{minor + 1}"


def inputs(python: Version, django: Version, release_key: str) -> list[str]:
    """What a user would ask a resolver for in this row."""
    stack = STACK_RELEASES[release_key]
    chosen = stack.pick(python, django).release
    return [django_range(django), f"{stack.package}=={chosen.version}", *stack.companions_for(python)]


def frozen_requirements(python: Version, django: Version, release_key: str) -> list[str] | None:
    """Exact requirements for a row uv cannot resolve; None when some input has no frozen pin."""
    out = []
    for item in inputs(python, django, release_key):
        if item.startswith("Django>="):
            if django not in DJANGO_FINAL:
                return None
            out.append(f"Django=={DJANGO_FINAL[django]}")
        elif "==" in item:
            out.append(item)
        elif item in FROZEN:
            out.extend(FROZEN[item])
        else:
            return None
    return out


@cache
def _load() -> dict[str, Any]:
    try:
        return dict(json.loads(LOCK_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def locked_row(key: str) -> Row | None:
    raw = _load().get("rows", {}).get(key)
    if raw is None:
        return None
    return Row(
        key,
        raw["release"],
        raw["pick"],
        tuple(raw["requirements"]),
        tuple(raw["direct"]),
        raw["resolved_by"],
    )


def lock_rows() -> dict[str, Any]:
    return dict(_load().get("rows", {}))
