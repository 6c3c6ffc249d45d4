"""Declared support, and the ``full`` label derived from it.

Two tables of facts: which Pythons each Django line declares, and which Django
lines and Pythons each stack release declares.  The ``full`` matrix is every
declared (Python, Django) pair of each stack release plus one step past each
edge: in the report's grid (Django rows, Python columns) that is the declared
region with a one-cell border, so the report shows where support ends, and
why, from running it rather than from reading classifiers.

Sources are cited beside each entry; "classifiers" means the release's PyPI
metadata (``Classifier:`` and ``Requires-Python`` lines of its wheel).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from harness.matrix.envs import Version, env_name
from harness.matrix.releases import STACK_RELEASES, StackRelease

# The axes of the matrix: the Pythons the issue asks for (2.7 to 3.13; 3.2 to
# 3.5 are "not tested" where no interpreter exists) and every Django line from
# 1.8 to the newest.
PYTHONS: tuple[Version, ...] = ((2, 7), *((3, minor) for minor in range(2, 14)))
DJANGOS: tuple[Version, ...] = (
    (1, 8), (1, 9), (1, 10), (1, 11), (2, 0), (2, 1), (2, 2), (3, 0), (3, 1), (3, 2),
    (4, 0), (4, 1), (4, 2), (5, 0), (5, 1), (5, 2), (6, 0),
)  # fmt: skip


def _py(*minors: int) -> tuple[Version, ...]:
    return tuple((3, minor) for minor in minors)


# Django's FAQ "What Python version can I use with Django?"
# (https://docs.djangoproject.com/en/dev/faq/install/, and the same page of each
# release's docs for the old lines), including Pythons added in patch releases.
DJANGO_PYTHONS: dict[Version, tuple[Version, ...]] = {
    (1, 8): ((2, 7), *_py(2, 3, 4, 5)),
    (1, 9): ((2, 7), *_py(4, 5)),
    (1, 10): ((2, 7), *_py(4, 5)),
    (1, 11): ((2, 7), *_py(4, 5, 6, 7)),  # 3.7 added in 1.11.17
    (2, 0): _py(4, 5, 6, 7),
    (2, 1): _py(5, 6, 7),
    (2, 2): _py(5, 6, 7, 8, 9),  # 3.8 in 2.2.8, 3.9 in 2.2.17
    (3, 0): _py(6, 7, 8, 9),  # 3.9 in 3.0.11
    (3, 1): _py(6, 7, 8, 9),  # 3.9 in 3.1.3
    (3, 2): _py(6, 7, 8, 9, 10),  # 3.10 in 3.2.9
    (4, 0): _py(8, 9, 10),
    (4, 1): _py(8, 9, 10, 11),  # 3.11 in 4.1.3
    (4, 2): _py(8, 9, 10, 11, 12),  # 3.12 in 4.2.8
    (5, 0): _py(10, 11, 12),
    (5, 1): _py(10, 11, 12, 13),  # 3.13 in 5.1.3
    (5, 2): _py(10, 11, 12, 13),  # (3.14 in 5.2.8: beyond the axis)
    (6, 0): _py(12, 13),  # (and 3.14)
}


@dataclass(frozen=True)
class Declared:
    """What one stack release line says it supports (the union over its releases),
    and where each release says so."""

    djangos: tuple[Version, ...]
    pythons: tuple[Version, ...]
    source: str
    cells: frozenset[tuple[Version, Version]] = frozenset()  # (python, django) some release declares


def _declared(release: StackRelease) -> Declared:
    djangos = sorted({d for r in release.releases for d in r.djangos})
    pythons = sorted({p for r in release.releases for p in r.pythons})
    cells = frozenset((p, d) for r in release.releases for d in r.djangos for p in r.pythons)
    source = "; ".join(f"{r.version}: {r.source}" for r in release.releases)
    return Declared(tuple(djangos), tuple(pythons), source, cells)


# The oldest Django each example chat server runs on (chatservers/channels uses
# django.urls.re_path, new in 2.0): no border row below it.
CHAT_SERVER_DJANGO: dict[str, Version] = {"channels": (2, 0)}
# The releases and their citations live in harness/matrix/lines.py.
DECLARED: dict[str, Declared] = {key: _declared(release) for key, release in STACK_RELEASES.items()}
# The keys whose declared cells and border make up ``full``: the major lines; a
# minor line (channels40) is a row of ``wide`` (harness/matrix/labels.py).
MAJOR_KEYS: tuple[str, ...] = ("ws4redis04", "ws4redis05", "ws4redis06", "channels2", "channels3", "channels4")


def _neighbours(axis: tuple[Version, ...], members: Iterable[Version]) -> set[Version]:
    """The axis entries just outside each run of ``members`` (the "one step past")."""
    inside = set(members)
    edges: set[Version] = set()
    for index, value in enumerate(axis):
        if value not in inside:
            continue
        if index > 0 and axis[index - 1] not in inside:
            edges.add(axis[index - 1])
        if index + 1 < len(axis) and axis[index + 1] not in inside:
            edges.add(axis[index + 1])
    return edges


def declared_cells(release_key: str) -> set[tuple[Version, Version]]:
    """(python, django) pairs that both the stack release and the Django line declare."""
    return {(python, django) for python, django in DECLARED[release_key].cells if python in DJANGO_PYTHONS[django]}


def border_cells(release_key: str) -> set[tuple[Version, Version]]:
    """One step past each edge: the Python beside each declared row's ends, and for
    the Django line beside each run of declared lines, the newest Python it shares
    with the stack (so the row shows the stack's verdict on that Django)."""
    declared = DECLARED[release_key]
    inside = declared_cells(release_key)
    border: set[tuple[Version, Version]] = set()
    for django in declared.djangos:
        row = [python for python, row_django in inside if row_django == django]
        border |= {(python, django) for python in _neighbours(PYTHONS, row)}
    for django in _neighbours(DJANGOS, declared.djangos):
        if django < CHAT_SERVER_DJANGO.get(STACK_RELEASES[release_key].family, django):
            continue  # the stack may run there; the example chat server does not
        shared = [p for p in declared.pythons if p in DJANGO_PYTHONS[django]]
        if shared:
            border.add((max(shared), django))
    return border - inside


def full_env_names() -> list[str]:
    """Declared cells plus border, by stack release, Django line, then Python."""
    names = []
    for release_key in MAJOR_KEYS:
        cells = declared_cells(release_key) | border_cells(release_key)
        for python, django in sorted(cells, key=lambda cell: (cell[1], cell[0])):
            names.append(env_name(python, django, release_key))
    return names
