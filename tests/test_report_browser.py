"""The report's real-browser marks: the summary's column and the grids' row."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from harness.report.browser import browser_cell, column_mark, has_browser
from harness.report.compatibility import render_summary, summary_rows
from harness.report.overview import grids, render_grids
from harness.report.write import render_html, render_rst
from harness.results.files import load_all

DATA = Path(__file__).parent / "data" / "results"
ENV = "py311-django42-channels4"
PASSED = {"ok": True, "detail": "fine", "extensions": "permessage-deflate", "close": "", "console_errors": []}
FAILED = {
    "ok": False,
    "detail": "console error: x.js 3:1 Uncaught SyntaxError: Unexpected end of input; no socket: none",
    "extensions": "",
    "close": "",
    "console_errors": ["x.js 3:1 Uncaught SyntaxError: Unexpected end of input"],
}


def _results(daphne: dict[str, Any], uvicorn: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    results = copy.deepcopy(load_all(DATA))
    channels = next(r for r in results if r["env"] == ENV)
    channels["servers"][0]["browser"] = daphne
    if uvicorn is not None:
        channels["servers"][1]["browser"] = uvicorn
    return results


def _channels(results: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in results if r["env"] == ENV)


def test_cells_say_the_mark_the_first_console_error_and_the_extensions() -> None:
    results = _results(FAILED, PASSED)
    channels = _channels(results)
    assert browser_cell(channels, "daphne+redis") == (
        "✗ console error: x.js 3:1 Uncaught SyntaxError: Unexpected end of input; extensions: none"
    )
    assert browser_cell(channels, "uvicorn+inmemory") == "✓ extensions: permessage-deflate"
    # A layer's row shows its server's check (it runs once per server).
    assert browser_cell(channels, "daphne+pubsub") == browser_cell(channels, "daphne+redis")
    assert browser_cell(channels, "runserver+redis") == "─ not tested"


def test_a_close_code_is_shown_and_no_browser_is_not_tested() -> None:
    detail = "the page's socket closed 1011 (boom); x"
    closed = FAILED | {"console_errors": [], "detail": detail, "close": "closed 1011"}
    channels = _channels(_results(closed, {"not_tested": "no browser: no chromium found"}))
    assert browser_cell(channels, "daphne+redis") == "✗ the page's socket closed 1011 (boom); extensions: none"
    assert browser_cell(channels, "uvicorn+inmemory") == "─ not tested: no browser: no chromium found"


def test_summary_gains_the_column_only_with_browser_results() -> None:
    plain = load_all(DATA)
    assert not has_browser(plain)
    assert "Real browser" not in "\n".join(render_summary(summary_rows(plain)))
    rows = summary_rows(_results(FAILED, PASSED))
    table = "\n".join(render_summary(rows))
    assert "Real browser" in table and "✓ extensions: permessage-deflate" in table
    assert {r.browser for r in rows if r.env != ENV} == {"─ not tested"}


def test_grid_row_per_stack_names_servers_where_they_differ() -> None:
    results = _results(FAILED, PASSED)
    found = {grid.title: grid for grid in grids(results)}
    channels = found["Channels 4"]
    column = channels.pythons.index((3, 11))
    assert (channels.browser[column].symbol, channels.browser[column].env) == ("✗ daphne ✓ uvicorn", ENV)
    assert channels.browser[channels.pythons.index((3, 10))].symbol == "─"
    assert found["django-websocket-redis 0.4"].browser == []  # no browser results for that stack
    assert column_mark([_channels(_results(PASSED, PASSED))]) == ("✓", ENV)
    rst = "\n".join(render_grids(grids(results)))
    assert "* - real browser" in rst


def test_page_with_browser_results_renders_without_a_docutils_warning() -> None:
    html = render_html(render_rst(_results(FAILED, PASSED)))
    assert "Real browser" in html and "real browser" in html
