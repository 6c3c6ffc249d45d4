"""``harness run ENV...``: what each tox env calls.

Exit codes: 0 every env passed (or was not testable), 1 some env failed,
2 bad input or a harness error.
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
from harness.paths import RESULTS
from harness.results.schema import STATUS_SYMBOL
from harness.run.runner import RunOptions, run_env
from harness.run.verdict import EXIT_CODE


def add_parser(sub: Any) -> None:
    run = sub.add_parser("run", help="run envs (what each tox env calls) and write their results")
    run.add_argument("envs", nargs="+", metavar="ENV", help="e.g. py27-django18-ws4redis04 (see tox -l)")
    run.add_argument("--results-dir", default=str(RESULTS))
    add_server_option(run)
    add_chat_options(run)
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    plan = planned_modes(args)
    options = RunOptions(
        results_dir=Path(args.results_dir).resolve(),
        work_root=chosen_work_root(args),
        chat=chat_options(args),
        servers=tuple(args.server),
    )
    stop_on_sigterm()
    worst = 0
    for spec, _modes in plan:
        result = run_env(spec, options)
        line = f"{STATUS_SYMBOL[result['status']]} {spec.name}: {result['status']}"
        print(line + (f": {result['reason']}" if result["reason"] else ""), flush=True)
        worst = max(worst, EXIT_CODE[result["status"]])
    return worst
