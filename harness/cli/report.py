"""``harness report``: reports/compatibility.rst and .html from the results."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.paths import LOAD_FIGURES, REPORTS, RESULTS
from harness.report.write import write_report


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
    since = Path(args.since) if args.since else None
    for path in write_report(Path(args.results_dir), Path(args.output_dir), Path(args.load_dir), since=since):
        print(f"wrote {path}")
    return 0
