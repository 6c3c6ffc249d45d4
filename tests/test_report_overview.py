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
    assert list(found) == ["django-websocket-redis 0.4", "django-websocket-redis 0.6", "Channels 4"]
    grid = found["django-websocket-redis 0.4"]
    rows = dict(grid.rows)
    first = grid.pythons.index((2, 7))
    # Where the modes differ, each is named: uWSGI passes, the dev server has the known defect.
    cell = rows[(1, 8)][first]
    assert (cell.symbol, cell.env) == ("✗ runserver (known) ✓ uwsgi", "py27-django18-ws4redis04")
    assert rows[(1, 9)][first].symbol == "✗ runserver (known) ✓ uwsgi"  # the unexpected pass is a ✓ mode
    assert rows[(1, 9)][grid.pythons.index((3, 5))].symbol == "≈"  # the flaky row
    channels = dict(found["Channels 4"].rows)
    pythons = found["Channels 4"].pythons
    assert channels[(4, 2)][pythons.index((3, 11))].symbol == "✓"
    assert channels[(4, 2)][pythons.index((3, 10))].symbol == "⚠"  # a harness error
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
    previous["py311-django42-channels4"]["status"] = "fail"  # was ✗, is ✓
    previous["py37-django22-ws4redis06"]["status"] = "known"  # was and is ✗: no change
    found = {change.env: (change.before, change.after) for change in changes(list(previous.values()), current)}
    assert found == {"py311-django42-channels4": ("✗", "✓"), "py32-django18-ws4redis04": ("absent", "─")}
    assert changes(current, current) == []


def test_changes_name_what_moved_even_when_the_cell_did_not() -> None:
    current = load_all(DATA)
    previous = copy.deepcopy(current)
    env = next(r for r in previous if r["env"] == "py311-django42-channels4")
    env["stack"]["packages"]["daphne"] = "4.0.0"
    now = next(r for r in current if r["env"] == "py311-django42-channels4")["stack"]["packages"]["daphne"]
    found = changes(previous, current)
    assert [(c.env, c.before, c.after, c.moved) for c in found] == [
        ("py311-django42-channels4", "✓", "✓", f"daphne 4.0.0 → {now}")
    ]


def test_report_since_a_previous_folder(tmp_path: Path) -> None:
    previous = tmp_path / "previous"
    previous.mkdir()
    data = json.loads((DATA / "py311-django42-channels4.json").read_text())
    data["status"], data["reason"] = "fail", "was broken"
    (previous / "py311-django42-channels4.json").write_text(json.dumps(data))
    write_report(DATA, tmp_path, since=previous)
    rst = (tmp_path / "compatibility.rst").read_text()
    assert "Changed since the previous results" in rst and "`py311-django42-channels4 <" in rst
    assert 'href="#py311-django42-channels4"' in (tmp_path / "compatibility.html").read_text()


def test_a_schema_1_folder_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    old = json.loads((DATA / "py32-django18-ws4redis04.json").read_text()) | {"schema": 1}
    (tmp_path / "py32-django18-ws4redis04.json").write_text(json.dumps(old))
    assert main(["report", "--results-dir", str(tmp_path), "--output-dir", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "results schema 1, this harness reads schema 2" in err and "re-run the env" in err


def test_harness_report_exits_1_and_names_what_was_unexpected(tmp_path: Path, capsys) -> None:
    assert main(["report", "--results-dir", str(DATA), "--output-dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "3 of 9 envs as expected (1 known, 1 not-tested, 1 pass); 8 unexpected outcome(s)"
    leak = "unexpected: py37-django22-ws4redis06 runserver: cell:http-user-admin-john (and 2 more) failed"
    assert any(line.startswith(leak) for line in out)


def test_cli_refuses_a_missing_since_folder(tmp_path: Path) -> None:
    args = ["report", "--results-dir", str(DATA), "--output-dir", str(tmp_path), "--since", str(tmp_path / "nope")]
    assert main(args) == 2
