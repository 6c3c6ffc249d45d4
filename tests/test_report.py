"""The report: golden RST, docutils-clean HTML, and the verdicts it shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.errors import ReportError
from harness.report import write as report
from harness.report.compatibility import summary_rows
from harness.report.found import affected_text
from harness.report.write import render_html, render_rst, write_report
from harness.results.files import load_all

DATA = Path(__file__).parent / "data" / "results"
GOLDEN = Path(__file__).parent / "golden" / "compatibility.rst"


def test_rst_matches_golden_file() -> None:
    rst = render_rst(load_all(DATA))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(rst, encoding="utf-8")
    assert rst == GOLDEN.read_text(encoding="utf-8")


def test_summary_rows_carry_each_verdict() -> None:
    rows = {(r.env, r.server): r for r in summary_rows(load_all(DATA))}
    assert rows[("py27-django18-ws4redis04", "uwsgi")].works == "✓ pass"
    known = rows[("py27-django18-ws4redis04", "runserver")]
    assert (known.web_server, known.channels, known.works) == ("✓ Yes", "✗ No", "✗ known failure")
    assert rows[("py27-django19-ws4redis04", "uwsgi")].works == "✓ unexpected pass (unexpected)"
    leak = rows[("py37-django22-ws4redis06", "runserver")]
    assert (leak.web_server, leak.channels, leak.works) == ("✓ Yes", "✗ No", "✗ fail")
    crash = rows[("py311-django42-ws4redis06", "uwsgi")]
    assert (crash.web_server, crash.channels, crash.works) == ("✗ No", "─ Not tested", "✗ fail")
    assert rows[("py35-django19-ws4redis04", "uwsgi")].works == "≈ flaky 1/2 (unexpected)"
    assert rows[("py34-django19-ws4redis04", "uwsgi")].works == "✗ fail"
    assert rows[("py310-django42-channels4", "─")].works == "⚠ harness error"
    assert rows[("py32-django18-ws4redis04", "─")].works == "─ not tested"


def test_each_kind_of_outcome_is_shown_with_its_cause() -> None:
    rst = render_rst(load_all(DATA))
    # A known failure is its expectation, its items and its modes, once per env; its cause
    # and upstream issues are told once, in "What this run found".
    env = rst[rst.index("\npy27-django18-ws4redis04\n") : rst.index("\npy27-django19-ws4redis04\n")]
    assert "- ``ws4redis-utf8validator``: check:non-ASCII broadcast intact — in runserver\n" in env
    assert "Outcome: **✗ known failure** (as expected)\n" in env and "list-table" not in env  # uwsgi passed
    assert "ws4redis-utf8validator: ws4redis's pure-Python" in rst.split("\nSummary\n")[0]
    assert "`jrief/django-websocket-redis#180 <https://github.com/jrief/django-websocket-redis/issues/180>`__" in rst
    # An unexpected pass says which entry claimed the failure.
    assert "uwsgi: check:non-ASCII broadcast intact passed, but golden-uwsgi-nonascii says it fails" in rst
    # A flaky mode says how often it failed.
    assert "cell:http-group-admin-chatusers: ≈ flaky (1/2 runs failed)" in rst
    # Missing cells: the scenarios could not log in, and the cells were not observed.
    assert "uwsgi: scenarios broke: admin: login failed" in rst
    assert "not observed: its scenario did not run" in rst
    # A harness error has its own mark and is never the stack's fault.
    assert "Outcome: **⚠ harness error** (no verdict on the stack) — redis: redis did not answer PING" in rst
    assert "RuntimeError: deliberately broken chat server: crash at start" in rst
    assert "not tested: interpreter not available" in rst


def test_what_this_run_found_lists_each_cause_once_new_first() -> None:
    rst = render_rst(load_all(DATA))
    found = rst[rst.index("What this run found") : rst.index("At a glance")]
    statuses = [line.split("**")[1] for line in found.splitlines() if line.startswith("   * - **")]
    assert statuses == ["new"] * 4 + ["harness error", "gone?", "known"]
    known = found[found.index("**known**") :]
    assert "py27-django18-ws4redis04 (runserver); py27-django19-ws4redis04 (runserver); py37-django22" in known


def test_the_env_pages_hold_the_logs_and_tables(tmp_path: Path) -> None:
    write_report(DATA, tmp_path)
    main_page = (tmp_path / "compatibility.html").read_text()
    assert 'href="envs/py27-django18-ws4redis04.html"' in main_page
    assert "Start-up output" not in main_page  # logs live on the env pages
    page = (tmp_path / "envs" / "py27-django18-ws4redis04.html").read_text()
    assert "<summary>Start-up output (first lines)</summary>" in page and "<th>Good behavior?</th>" in page
    assert '<td class="bad">✗ No</td>' in page  # the known failure's check
    # Every mode's verdict, the passing ones too (the main page lists only the others).
    assert '<td>uwsgi</td><td class="ok">✓ pass</td><td>1</td><td>20/20</td>' in page
    assert '<td>runserver</td><td class="bad">✗ known failure</td>' in page
    assert (tmp_path / "envs" / "py27-django18-ws4redis04.rst").read_text().startswith("=")
    assert not (tmp_path / "envs" / "py32-django18-ws4redis04.html").exists()  # nothing ran


def test_html_is_written_and_docutils_reports_nothing(tmp_path: Path) -> None:
    written = write_report(DATA, tmp_path)
    assert [p.name for p in written] == ["compatibility.rst", "compatibility.html"]
    page = (tmp_path / "compatibility.html").read_text()
    assert "py27-django18-ws4redis04" in page
    assert '<span class="bad">✗</span>' in page and "td.ok" in page  # marks coloured by the stylesheet


def test_a_docutils_warning_fails_the_report_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "render_rst", lambda *args: "Title\n=====\n\n`dangling reference`_\n")
    with pytest.raises(ReportError, match="docutils"):
        report.write_report(DATA, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_harness_report_says_a_report_problem_in_one_line_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It once ended in a traceback: the command caught BadResults but not docutils' problem."""
    monkeypatch.setattr(report, "render_rst", lambda *args: "Title\n=====\n\n`dangling reference`_\n")
    code = main(["report", "--results-dir", str(DATA), "--output-dir", str(tmp_path), "--load-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("harness report: generated RST has a docutils problem:") and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_markup_in_results_is_escaped(tmp_path: Path) -> None:
    results = load_all(DATA)
    results[0]["reason"] = "weird *reason* with `ticks` and a_trailing_ |pipe|"
    results[0]["status"] = "fail"
    page = render_html(render_rst(results))  # raises on any docutils warning
    assert "weird *reason* with `ticks` and a_trailing_ |pipe|" in page  # shown as written, not as markup


def test_a_dead_servers_long_reason_is_cut_on_the_outcome_line(tmp_path: Path) -> None:
    """Every cell of every mode of a dead server made a 27 KB reason, over docutils' 10 000
    characters a line: the report failed.  The line now keeps its first 1000."""
    results = load_all(DATA)
    results[0]["reason"] = "; ".join(f"mode: cell {n}: admin did not receive it" for n in range(1000))
    results[0]["status"] = "fail"
    rst = render_rst(results)
    [line] = [line for line in rst.splitlines() if line.startswith("Outcome: ") and "cell 0:" in line]
    assert line.endswith("… (the verdicts below say the rest)") and "cell 999" not in line
    assert "cell 3:" in render_html(rst)  # docutils accepts it


def test_a_finding_across_a_full_matrix_stays_one_short_cell() -> None:
    """A known defect in 60 envs of 9 modes each passed docutils' 10,000-character line limit."""
    modes = [f"{server}+{layer}" for server in ("runserver", "daphne", "uvicorn") for layer in ("redis", "pubsub", "x")]
    affected = {f"py3{i:02d}-django42-channels4": list(modes) for i in range(60)}
    affected["py311-django52-channels4"] = ["daphne+redis"]
    modes_of = {env: list(modes) for env in affected}
    text = affected_text(affected, modes_of)
    assert text.startswith("py300-django42-channels4; py301-django42-channels4;")
    assert text.endswith("; and 21 more envs (each env's section has it)") and len(text) < 2000
    assert affected_text({"py311-django52-channels4": ["daphne+redis"]}, modes_of) == (
        "py311-django52-channels4 (daphne+redis)"
    )
