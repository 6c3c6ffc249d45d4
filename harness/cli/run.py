"""``harness run ENV...``: what each tox env calls.

Every outcome is compared with the expected outcomes (``expectations.toml``).
Exit codes: 0 every outcome as expected (passes, known failures, expected
flakes, envs that could not be tried), 1 some outcome unexpected (one line
each), 2 bad input or a harness error.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.cli.common import (
    add_chat_options,
    add_server_option,
    chat_options,
    chosen_work_root,
    planned_modes,
    stop_on_sigterm,
)
from harness.errors import BadInput
from harness.paths import RESULTS
from harness.results.schema import STATUS_SYMBOL, summary_line
from harness.run.expectations import EXPECTATIONS, load_expectations
from harness.run.idle import IDLE_SECONDS, MAX_IDLE_SECONDS
from harness.run.placement import finding_line
from harness.run.runner import RunOptions, run_env
from harness.run.sessions import HEAVY_CHECKS, LONG_IDLE_SECONDS
from harness.run.verdict import EXIT_AS_EXPECTED, EXIT_ERROR, EXIT_UNEXPECTED
from harness.sut.spread import check_processes, dev_server_note


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run envs (what each tox env calls) and write their results")
    run.add_argument("envs", nargs="+", metavar="ENV", help="e.g. py27-django18-ws4redis04 (see tox -l)")
    run.add_argument("--results-dir", default=str(RESULTS))
    add_server_option(run)
    run.add_argument("--repeat", type=int, default=1, help="run every server mode N times (flaky k/N)")
    run.add_argument(
        "--reruns", type=int, default=1, help="extra runs of a mode with an unexpected failure (default 1)"
    )
    run.add_argument("--expectations", default=str(EXPECTATIONS), help="the expected outcomes (TOML)")
    run.add_argument(
        "--idle",
        type=float,
        default=IDLE_SECONDS,
        metavar="SECONDS",
        help=f"quiet time of each mode's idle sockets before their delivery check (default {IDLE_SECONDS:g}; 0: off)",
    )
    run.add_argument("--deep", action="store_true", help="the heavy checks too (as the env suffix -deep)")
    run.add_argument(
        "--heavy",
        action="append",
        default=[],
        metavar="CHECK",
        help=f"--deep: only this heavy check (repeatable; default all: {', '.join(HEAVY_CHECKS)})",
    )
    run.add_argument(
        "--long-idle",
        default=",".join(f"{seconds:g}" for seconds in LONG_IDLE_SECONDS),
        metavar="SECONDS[,SECONDS]",
        help="--deep: quiet times of the long idle checks (default %(default)s); 0: none of them, "
        "nor the dead-peer check (the heavy checks alone)",
    )
    run.add_argument(
        "--every-mode",
        action="store_true",
        help="checks that do not depend on the layer in every server × layer mode, not once per server "
        "(as the env suffix -browser)",
    )
    run.add_argument(
        "--server-checks",
        action="store_true",
        help="the checks that do not depend on the layer (real browser, message size, bad frames, plain GET, "
        "foreign Origin) even in a row that leaves them to its column's (see README, The full matrix)",
    )
    run.add_argument(
        "--processes",
        default="1",  # checked by check_processes: a bad value is one line
        help="run each mode as N server processes, each on its own port, with admin, john and mary "
        "on different ones (dev servers stay single)",
    )
    run.add_argument(
        "--deflate",
        action="store_true",
        help="the scripted clients offer permessage-deflate as browsers do: the compressed path "
        "(as the env suffix -deflate, which has its own results file and report row)",
    )
    add_chat_options(run)
    run.set_defaults(func=cmd_run)


def long_idle_seconds(text: str) -> tuple[float, ...]:
    """``--long-idle`` as given: "65,300", or "0" for none (bad input: one line, exit 2)."""
    try:
        seconds = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        seconds = (-1.0,)
    if not all(0 <= value <= MAX_IDLE_SECONDS for value in seconds):
        raise BadInput(f"--long-idle {text!r}: expected seconds between 0 and {MAX_IDLE_SECONDS:g}, e.g. 65,300 or 0")
    return tuple(value for value in seconds if value > 0)


def heavy_checks(names: list[str]) -> tuple[str, ...]:
    """``--heavy`` as given: each a heavy check's name (bad input: one line, exit 2)."""
    unknown = [name for name in names if name not in HEAVY_CHECKS]
    if unknown:
        raise BadInput(f"--heavy {unknown[0]!r}: expected one of {', '.join(repr(n) for n in HEAVY_CHECKS)}")
    return tuple(names)


def cmd_run(args: argparse.Namespace) -> int:
    if args.repeat < 1 or args.reruns < 0:
        raise BadInput("--repeat must be at least 1 and --reruns at least 0")
    args.processes = check_processes(args.processes)
    if not 0 <= args.idle <= MAX_IDLE_SECONDS:
        raise BadInput(f"--idle must be between 0 and {MAX_IDLE_SECONDS:g} seconds")
    plan = planned_modes(args)
    options = RunOptions(
        results_dir=Path(args.results_dir).resolve(),
        work_root=chosen_work_root(args),
        chat=chat_options(args),
        servers=tuple(args.server),
        expectations=tuple(load_expectations(Path(args.expectations))),
        repeat=args.repeat,
        reruns=args.reruns,
        idle_seconds=args.idle,
        long_idle=long_idle_seconds(args.long_idle),
        heavy=heavy_checks(args.heavy),
        deep=args.deep,
        every_mode=args.every_mode,
        server_checks=args.server_checks,
        processes=args.processes,
        deflate=args.deflate,
    )
    stop_on_sigterm()
    results = []
    for spec, modes in plan:
        for note in filter(None, (dev_server_note(mode, args.processes) for mode in modes)):
            print(note, flush=True)
        result = run_env(spec, options)
        results.append(result)
        known = "" if result["as_expected"] or result["status"] == "error" else " (unexpected)"
        line = f"{STATUS_SYMBOL[result['status']]} {spec.name}: {result['status']}{known}"
        print(line + (f": {result['reason']}" if result["reason"] else ""), flush=True)
        for mode, finding in result.get("cross_process", {}).items():
            print(f"  {finding_line(mode, finding, args.processes)}", flush=True)
        for unexpected in result["unexpected"]:
            print(f"  unexpected: {unexpected}", flush=True)
        for entry in result["stale"]:
            print(f"  stale expectation {entry}: it selects {spec.name} but names none of its items", flush=True)
    print(summary_line(results), flush=True)
    if any(r["status"] == "error" for r in results):
        return EXIT_ERROR
    return EXIT_AS_EXPECTED if all(r["as_expected"] for r in results) else EXIT_UNEXPECTED
