"""The declared-support table and the ``full`` label derived from it."""

from __future__ import annotations

import configparser
import itertools
import re

from harness.matrix.envs import parse_env_name
from harness.matrix.labels import LABELS, all_env_names
from harness.matrix.releases import STACK_RELEASES
from harness.matrix.support import DECLARED, DJANGO_PYTHONS, DJANGOS, MAJOR_KEYS, PYTHONS, border_cells, declared_cells
from harness.matrix.toxini import TOX_INI


def test_tables_cover_the_axes_and_the_releases() -> None:
    assert set(DJANGO_PYTHONS) == set(DJANGOS)
    assert set(DECLARED) <= set(STACK_RELEASES)
    for declared in DECLARED.values():
        assert set(declared.djangos) <= set(DJANGOS) and declared.source


def test_full_label_is_large_and_covers_both_stacks_and_every_version() -> None:
    specs = [parse_env_name(name) for name in LABELS["full"]]
    assert len(specs) >= 80 and len(set(LABELS["full"])) == len(specs)
    assert {spec.python for spec in specs} == set(PYTHONS)
    assert {spec.django for spec in specs} == set(DJANGOS)
    assert {spec.stack.family for spec in specs} == {"ws4redis", "channels"}


def test_full_holds_every_declared_pair_and_every_other_label() -> None:
    full = set(LABELS["full"])
    for key in MAJOR_KEYS:
        assert {f"py{p[0]}{p[1]}-django{d[0]}{d[1]}-{key}" for p, d in declared_cells(key)} <= full
    # every env of `tox -l` but the suite re-runs (ENV-deep, ENV-browser) of envs it holds,
    # the -latest envs and the minor lines of `wide`
    others = set(LABELS["wide"]) - full
    assert {name for name in all_env_names() if not parse_env_name(name).suite and not parse_env_name(name).latest} == (
        full | others
    )


def test_one_step_past_each_edge() -> None:
    border = border_cells("channels2")  # its releases declare Django 2.0 to 3.0, Python 3.5 to 3.8
    assert ((3, 9), (2, 2)) in border and ((3, 4), (2, 2)) in border  # past the Python ends of a row
    assert ((3, 8), (3, 1)) in border  # the Django line past the end
    assert not [cell for cell in border if cell[1] < (2, 0)]  # the chat server needs Django 2.0
    assert ((3, 10), (2, 2)) not in border  # two steps past is not run
    assert ((3, 6), (3, 0)) in declared_cells("channels2") and ((3, 7), (2, 1)) in declared_cells("channels2")


def test_dropped_lines_inside_a_range_are_edges_too() -> None:
    # channels 3.0.5 dropped Django 3.0 and 3.1 but keeps 2.2 and 3.2.
    rows = {django for _, django in border_cells("channels3")}
    assert {(2, 1), (3, 0), (3, 1), (4, 1)} <= rows


def _expand(patterns: str) -> set[str]:
    """tox's generative names, one pattern a line."""
    names: set[str] = set()
    for pattern in patterns.split():
        parts = re.split(r"\{([^}]*)\}", pattern)
        choices = [[part] if i % 2 == 0 else part.split(",") for i, part in enumerate(parts)]
        names |= {"".join(combo) for combo in itertools.product(*choices)}
    return names


def test_report_env_depends_on_every_env() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(TOX_INI)
    depends = _expand(parser["testenv:report"]["depends"].strip())
    assert set(all_env_names()) <= depends
