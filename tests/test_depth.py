"""Which rows run the server checks (harness/matrix/depth.py), and what a row without them records."""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from harness.matrix.depth import CURATED, column_row, runs_server_checks
from harness.matrix.envs import parse_env_name
from harness.matrix.labels import LABELS
from harness.report.browser import browser_cell
from harness.report.compatibility import render_env
from harness.results.schema import new_result
from harness.run.per_server import per_server_items
from harness.run.runner import RunOptions, checks_wanted


def test_a_row_only_full_adds_leaves_them_to_its_columns_newest_declared_python() -> None:
    spec = parse_env_name("py311-django50-channels4")  # Channels 4 declares Django 5.0 on 3.10-3.12
    assert not runs_server_checks(spec)
    assert column_row(spec) == "py312-django50-channels4"
    assert runs_server_checks(parse_env_name("py312-django50-channels4"))


def test_one_step_past_the_declared_pythons_is_not_the_columns_row() -> None:
    spec = parse_env_name("py39-django30-channels2")  # Channels 2 declares Python 3.5-3.8
    assert not runs_server_checks(spec) and column_row(spec) == "py38-django30-channels2"


@pytest.mark.parametrize(
    "name",
    [
        "py311-django42-channels4",  # curated: main and channels
        "py310-django42-channels3",  # curated border row
        "py311-django50-channels4-deep",  # a suite
        "py311-django50-channels4-browser",
        "py27-django18-ws4redis04-wsaccel",  # a variant
        "py311-django42-channels4-latest",  # a curated env's -latest twin
    ],
)
def test_curated_suite_and_variant_envs_run_them(name: str) -> None:
    assert runs_server_checks(parse_env_name(name))


@pytest.mark.parametrize("label", ["full", "wide"])
def test_every_column_of_full_and_wide_has_exactly_one_row_that_runs_them(label: str) -> None:
    columns: dict[tuple[str, tuple[int, int]], list[str]] = collections.defaultdict(list)
    for name in LABELS[label]:
        spec = parse_env_name(name)
        if not spec.variant and name not in CURATED:
            columns[(spec.release_key, spec.django)].append(name)
    for (key, django), names in columns.items():
        own = [name for name in names if column_row(parse_env_name(name)) == name]
        curated = [n for n in CURATED if parse_env_name(n).release_key == key and parse_env_name(n).django == django]
        assert len(own) == 1 or (not own and curated), (key, django, names)


def test_fewer_than_half_of_full_runs_them() -> None:
    runs = [runs_server_checks(parse_env_name(name)) for name in LABELS["full"]]
    assert sum(runs) < len(runs) / 2  # 58 of 152


def test_the_flag_runs_them_anywhere() -> None:
    spec = parse_env_name("py311-django50-channels4")
    options = RunOptions(results_dir=Path("."), work_root=Path("."))
    assert not checks_wanted(spec, options).server_checks
    assert checks_wanted(spec, RunOptions(Path("."), Path("."), server_checks=True)).server_checks
    assert checks_wanted(spec, RunOptions(Path("."), Path("."), every_mode=True)).server_checks


def test_the_items_of_every_server_check_are_known() -> None:
    items = per_server_items()
    assert {"check:real browser", "check:message size limit", "check:foreign Origin refused"} <= set(items)
    assert {"check:plain GET to a socket URL", "check:binary frame", "check:invalid JSON"} <= set(items)
    assert "check:fragmented message reassembled" in items and "check:logout ends delivery" not in items


def test_a_row_without_them_says_where_they_ran() -> None:
    result = new_result("py311-django50-channels4", "3.11.9", "5.0", "channels", "4.3.2")
    result.update(server_checks=False, server_checks_row="py312-django50-channels4")
    page = "\n".join(render_env(result))
    assert ":Server checks: not run in this row: they run in ``py312-django50-channels4``" in page
    assert browser_cell(result, "daphne+redis") == "─ not run here: see py312-django50-channels4"


def test_the_columns_row_is_the_newest_python_with_an_interpreter_here() -> None:
    spec = parse_env_name("py27-django110-ws4redis05")  # ws4redis 0.5 declares Django 1.10 on 2.7, 3.4, 3.5

    def without_34_35(python: tuple[int, int]) -> bool:
        return python not in {(3, 4), (3, 5)}

    assert column_row(spec) == "py35-django110-ws4redis05" and not runs_server_checks(spec)
    assert column_row(spec, without_34_35) == "py27-django110-ws4redis05" and runs_server_checks(spec, without_34_35)
    assert column_row(spec, lambda python: False) == "py35-django110-ws4redis05"  # none here: the newest
