"""The at-a-glance grids and the "changed since" list."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from harness.cli.main import main
from harness.report.overview import changes, grids
from harness.report.write import write_report
from harness.results.files import load_all

DATA = Path(__file__).parent / "data" / "results"


def test_one_grid_per_stack_release_with_results() -> None:
    found = {grid.title: grid for grid in grids(load_all(DATA))}
    assert list(found) == ["django-websocket-redis 0.4.6", "django-websocket-redis 0.6.0", "channels 4.3.2"]
    grid = found["django-websocket-redis 0.4.6"]
    rows = dict(grid.rows)
    first = grid.pythons.index((2, 7))
    assert (rows[(1, 8)][first].symbol, rows[(1, 8)][first].env) == ("✓", "py27-django18-ws4redis04")
    assert rows[(1, 9)][first].symbol == "✗"
    absent = rows[(1, 8)][grid.pythons.index((3, 2))]
    assert (absent.symbol, absent.env) == ("─", "py32-django18-ws4redis04")


def test_matrix_envs_without_results_are_shown_and_listed() -> None:
    grid = grids(load_all(DATA))[0]
    rows = dict(grid.rows)
    cell = rows[(1, 10)][grid.pythons.index((3, 4))]
    assert (cell.symbol, cell.env) == ("─", None)
    assert "py34-django110-ws4redis04" in grid.missing
    assert rows[(1, 10)][grid.pythons.index((2, 7))].symbol == ""  # not in the matrix at all


def test_changes_list_every_flip_including_appeared_and_vanished_envs() -> None:
    current = load_all(DATA)
    previous = {r["env"]: r for r in copy.deepcopy(current) if r["env"] != "py32-django18-ws4redis04"}
    previous["py27-django18-ws4redis04"]["status"] = "fail"  # was ✗, is ✓
    previous["py27-django19-ws4redis04"]["status"] = "error"  # was and is ✗: no change
    found = {change.env: (change.before, change.after) for change in changes(list(previous.values()), current)}
    assert found == {"py27-django18-ws4redis04": ("✗", "✓"), "py32-django18-ws4redis04": ("absent", "─")}
    assert changes(current, current) == []


def test_report_since_a_previous_folder(tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    previous.mkdir()
    data = json.loads((DATA / "py27-django18-ws4redis04.json").read_text())
    data["status"], data["reason"] = "fail", "was broken"
    (previous / "py27-django18-ws4redis04.json").write_text(json.dumps(data))
    write_report(DATA, tmp_path, since=previous)
    rst = (tmp_path / "compatibility.rst").read_text()
    assert "Changed since the previous results" in rst and "`py27-django18-ws4redis04 <" in rst
    assert 'href="#py27-django18-ws4redis04"' in (tmp_path / "compatibility.html").read_text()


def test_cli_refuses_a_missing_since_folder(tmp_path: Path) -> None:
    args = ["report", "--results-dir", str(DATA), "--output-dir", str(tmp_path), "--since", str(tmp_path / "nope")]
    assert main(args) == 2
