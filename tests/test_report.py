"""The report: golden RST, docutils-clean HTML, and the verdicts it shows."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.cli.main import main
from harness.errors import ReportError
from harness.report import write as report
from harness.report.compatibility import summary_rows
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
    assert rows[("py27-django18-ws4redis04", "uwsgi")].works == "✓ Yes"
    leak = rows[("py27-django19-ws4redis04", "runserver")]
    assert (leak.web_server, leak.channels, leak.works) == ("✓ Yes", "✗ No", "✗ No")
    crash = rows[("py311-django42-ws4redis06", "uwsgi")]
    assert (crash.web_server, crash.channels, crash.works) == ("✗ No", "─ Not tested", "✗ No")
    absent = rows[("py32-django18-ws4redis04", "─")]
    assert absent.works == "─ Not tested"


def test_failed_rows_show_their_reason() -> None:
    rst = render_rst(load_all(DATA))
    assert "RuntimeError: deliberately broken chat server: crash at start" in rst
    assert "mary received it but should not have" in rst
    assert "not tested: interpreter not available" in rst


def test_html_is_written_and_docutils_reports_nothing(tmp_path: Path) -> None:
    written = write_report(DATA, tmp_path)
    assert [p.name for p in written] == ["compatibility.rst", "compatibility.html"]
    assert "py27-django18-ws4redis04" in (tmp_path / "compatibility.html").read_text()


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
    render_html(render_rst(results))  # raises on any docutils warning
