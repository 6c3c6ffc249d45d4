"""Which rows run the server checks: the checks that do not depend on the layer
(scenario marker ``per_server``: the real browser, message size, bad frames, a plain
GET, a foreign Origin), which made each server's first mode take 9.8 s against 1.4 s.

Every curated env (the labels seed, ws4redis, channels, variants, and their -latest
twins) and every suite env runs them.  A row that only ``full`` or ``wide`` adds runs
the delivery matrix and the per-mode checks in every server × layer mode, and leaves
the server checks to one row of its column (stack line and Django line): the newest
Python the line declares for that Django that has an interpreter here (Python 3.5
rows are not tested on most machines), or in a column past the line's declared
Djangos, its one row.  So each column of the grid has the server checks, for 58 of
full's 152 envs where every Python is at hand; ``harness run --server-checks`` runs
them in any row.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.matrix.envs import EnvSpec, Version, env_name
from harness.matrix.labels import LABELS
from harness.matrix.support import border_cells, declared_cells

CURATED_LABELS = ("seed", "ws4redis", "channels", "variants")
CURATED: frozenset[str] = frozenset(name for label in CURATED_LABELS for name in LABELS[label])


# Whether an interpreter of a Python version is on this machine (harness/sut/interpreters.py).
Available = Callable[[Version], bool]


def _anywhere(python: Version) -> bool:
    return True


def column_row(spec: EnvSpec, available: Available = _anywhere) -> str:
    """The env of ``spec``'s column (its stack line and Django line) that runs the server checks:
    its newest Python with an interpreter here (the newest of all when none has one)."""
    pythons = [python for python, django in declared_cells(spec.release_key) if django == spec.django]
    if not pythons:  # a Django past the line: the column's rows are border rows
        pythons = [python for python, django in border_cells(spec.release_key) if django == spec.django]
    python = max([p for p in pythons if available(p)] or pythons, default=spec.python)
    return env_name(python, spec.django, spec.release_key)


def runs_server_checks(spec: EnvSpec, available: Available = _anywhere) -> bool:
    """Whether ``spec``'s own run includes the server checks (without --server-checks)."""
    if spec.suite or spec.variant:
        return True
    base = env_name(spec.python, spec.django, spec.release_key)
    return base in CURATED or column_row(spec, available) == base
