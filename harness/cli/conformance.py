"""``harness conformance ENV...``: each server of the envs against Autobahn|Testsuite
(``wstest -m fuzzingclient``), once per server and cached by its key.

Case reports go to ``reports/conformance/<name>/``, summaries to
``reports/results/conformance/<name>.json`` (the report's "Protocol conformance"
section).  Exit codes: 0 every outcome as expected (including servers that could
not be tested, said as such), 1 an unexpected FAILED case or pass, 2 bad input.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.cli.common import add_chat_options, chat_options, chosen_work_root, stop_on_sigterm
from harness.conformance.cases import DEFAULT_CASES, case_patterns
from harness.conformance.runner import ConformanceOptions, conformance_env, servers_of
from harness.errors import BadInput
from harness.matrix.envs import parse_env_name
from harness.paths import REPORTS, RESULTS
from harness.run.expectations import EXPECTATIONS, load_expectations
from harness.run.verdict import EXIT_AS_EXPECTED, EXIT_UNEXPECTED
from harness.sut.procs import stop_all

SHOWN = 8  # unexpected lines printed per server; the results file has them all


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("conformance", help="run Autobahn|Testsuite against each server of the envs")
    parser.add_argument("envs", nargs="+", metavar="ENV", help="e.g. py311-django42-channels4 (see tox -l)")
    parser.add_argument(
        "--server", action="append", default=[], help="only this server, e.g. daphne, uwsgi (repeatable)"
    )
    parser.add_argument(
        "--cases",
        default=DEFAULT_CASES,
        help="'1-10' (default: all but compression), 'all' (with compression: ~13 min per server), "
        "or cases such as 1.1.*,2.3",
    )
    parser.add_argument("--results-dir", default=str(RESULTS / "conformance"))
    parser.add_argument("--reports-dir", default=str(REPORTS / "conformance"), help="where case reports go")
    parser.add_argument("--no-cache", action="store_true", help="run every server even when its key is cached")
    parser.add_argument("--expectations", default=str(EXPECTATIONS), help="the expected outcomes (TOML)")
    add_chat_options(parser)
    parser.set_defaults(func=cmd_conformance)


def cmd_conformance(args: argparse.Namespace) -> int:
    specs = [parse_env_name(name) for name in args.envs]
    unknown = [s for s in args.server if not any(servers_of(spec, [s]) for spec in specs)]
    if unknown:
        raise BadInput(f"--server {unknown[0]}: no env named has that server")
    options = ConformanceOptions(
        results_dir=Path(args.results_dir).resolve(),
        reports_dir=Path(args.reports_dir).resolve(),
        work_root=chosen_work_root(args),
        chat=chat_options(args),
        expectations=tuple(load_expectations(Path(args.expectations))),
        servers=tuple(args.server),
        cases=args.cases,
        patterns=tuple(case_patterns(args.cases)),
        use_cache=not args.no_cache,
    )
    stop_on_sigterm()
    # Envs side by side too (each its own Redis and servers): the runs mostly wait.
    pool = ThreadPoolExecutor(max_workers=len(specs), thread_name_prefix="conformance")
    summaries = []
    try:
        futures = [pool.submit(conformance_env, spec, options) for spec in specs]
        for future in futures:
            for summary in future.result():
                summaries.append(summary)
                print(_line(summary), flush=True)
                for line in summary["unexpected"][:SHOWN]:
                    print(f"  unexpected: {line}", flush=True)
                if len(summary["unexpected"]) > SHOWN:
                    more = len(summary["unexpected"]) - SHOWN
                    print(f"  ... and {more} more: {options.results_dir / summary['name']}.json", flush=True)
    finally:
        stop_all()  # on Ctrl-C: every server and wstest, whichever thread started it
        pool.shutdown(wait=False, cancel_futures=True)
    unexpected = sum(len(s["unexpected"]) for s in summaries)
    print(f"conformance: {len(summaries)} servers, {unexpected} unexpected outcomes", flush=True)
    return EXIT_AS_EXPECTED if unexpected == 0 else EXIT_UNEXPECTED


def _line(summary: dict[str, Any]) -> str:
    if summary["status"] != "tested":
        return f"─ {summary['name']} ({summary['env']}): {summary['reason']}"
    counts = ", ".join(f"{n} {b}" for b, n in summary["counts"].items() if n)
    known = sum(1 for f in summary["failed"] if f["outcome"] == "known")
    how = "cached" if summary["cached"] else f"{summary['seconds']} s"
    mark = "✓" if summary["as_expected"] else "✗"
    return f"{mark} {summary['name']} ({summary['env']}, {how}): {counts}; {known} known failures"
