"""``harness report``: reports/compatibility.rst and .html (and reports/envs/) from
the results; its last line says how many envs were as expected."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.paths import LOAD_FIGURES, REPORTS, RESULTS
from harness.report.conformance import load_conformance
from harness.report.write import load_previous, write_pages
from harness.results.files import load_all
from harness.results.schema import summary_line


def add_parser(sub: Any) -> None:
    report = sub.add_parser("report", help="write reports/compatibility.rst and .html from the results")
    report.add_argument("--results-dir", default=str(RESULTS))
    report.add_argument("--output-dir", default=str(REPORTS))
    report.add_argument("--load-dir", default=str(LOAD_FIGURES), help="harness load's figures")
    report.add_argument(
        "--since", metavar="PREVIOUS_RESULTS_DIR", help="also list every cell that flipped since those results"
    )
    report.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    """Exit 0 when every outcome in the results was as expected, 1 otherwise (the report is written either way)."""
    since = Path(args.since) if args.since else None
    results, previous = load_all(Path(args.results_dir)), load_previous(since)
    conformance = load_conformance(Path(args.results_dir) / "conformance")
    pages = write_pages(results, Path(args.output_dir), Path(args.load_dir), previous, str(since or ""), conformance)
    for path in pages:
        print(f"wrote {path}")
    for result in results:
        for line in result["unexpected"]:
            print(f"unexpected: {line}")
    for summary in conformance:
        for line in summary["unexpected"]:
            print(f"unexpected: {line}")
    print(summary_line(results))
    return 0 if all(r["as_expected"] for r in [*results, *conformance]) else 1
