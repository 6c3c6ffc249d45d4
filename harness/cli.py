"""Command line: ``harness run ENV...`` and ``harness report``.

Exit codes: 0 every env passed (or was not testable), 1 some env failed,
2 bad input or a harness error.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from types import FrameType

from harness.cli_load import add_parsers as add_load_parsers
from harness.matrix import BadEnvName, parse_env_name
from harness.results import BadResults
from harness.stacks.base import ROOT

SYMBOL = {"pass": "✓", "fail": "✗", "error": "✗", "not-tested": "─"}


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def cmd_run(args: argparse.Namespace) -> int:
    from harness.runner import RunOptions, default_work_root, run_env

    try:
        specs = [parse_env_name(name) for name in args.envs]
    except BadEnvName as exc:
        print(f"harness run: {exc}", file=sys.stderr)
        return 2
    options = RunOptions(
        # Absolute: servers run in their project folder, and must find the venv.
        results_dir=Path(args.results_dir).resolve(),
        work_root=(Path(args.work_root) if args.work_root else default_work_root()).resolve(),
        settings_module=args.settings,
        extra_pythonpath=tuple(Path(p).resolve() for p in args.pythonpath),
        servers=tuple(args.server),
        fast_password_hasher=not args.keep_password_hasher,
    )
    for spec in specs:
        try:
            spec.select_modes(options.servers)
        except ValueError as exc:
            print(f"harness run: {exc}", file=sys.stderr)
            return 2
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    worst = 0
    for spec in specs:
        result = run_env(spec, options)
        line = f"{SYMBOL[result['status']]} {spec.name}: {result['status']}"
        print(line + (f": {result['reason']}" if result["reason"] else ""), flush=True)
        worst = max(worst, {"pass": 0, "not-tested": 0, "fail": 1, "error": 2}[result["status"]])
    return worst


def cmd_report(args: argparse.Namespace) -> int:
    from harness.report import write_report

    try:
        since = Path(args.since) if args.since else None
        if since is not None and not since.is_dir():
            raise BadResults(f"--since {since}: no such results folder")
        written = write_report(Path(args.results_dir), Path(args.output_dir), Path(args.load_dir), since=since)
    except BadResults as exc:
        print(f"harness report: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    default_results = str(ROOT / "reports" / "results")

    run = sub.add_parser("run", help="run envs (what each tox env calls) and write their results")
    run.add_argument("envs", nargs="+", metavar="ENV", help="e.g. py27-django18-ws4redis04 (see tox -l)")
    run.add_argument("--results-dir", default=default_results)
    run.add_argument("--work-root", help="where venvs and logs go (default .harness/ or $HARNESS_WORK_ROOT)")
    run.add_argument(
        "--server",
        action="append",
        default=[],
        help="only this server mode, server or layer, e.g. uwsgi, daphne+redis, daphne (repeatable)"
    )
    run.add_argument(
        "--keep-password-hasher",
        action="store_true",
        help="log in with the server's own hasher (default: Django's fast MD5 hasher, so logins do not dominate)",
    )
    run.add_argument("--settings", default="chatserver.settings", help="Django settings module of the chat server")
    run.add_argument(
        "--pythonpath",
        action="append",
        default=[],
        help="extra folder on the chat server's PYTHONPATH (for variant settings)",
    )
    run.set_defaults(func=cmd_run)

    report = sub.add_parser("report", help="write reports/compatibility.rst and .html from the results")
    report.add_argument("--results-dir", default=default_results)
    report.add_argument("--output-dir", default=str(ROOT / "reports"))
    report.add_argument("--load-dir", default=str(ROOT / "reports" / "load"), help="harness load's figures")
    report.add_argument(
        "--since", metavar="PREVIOUS_RESULTS_DIR", help="also list every cell that flipped since those results"
    )
    report.set_defaults(func=cmd_report)
    add_load_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        print("harness: interrupted; child processes stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
