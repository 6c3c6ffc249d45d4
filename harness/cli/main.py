"""Command line: ``harness run``, ``report``, ``serve``, ``load``, ``conformance`` and ``lock``.

Every command reports a ``HarnessError`` as one line and exits 2; a Ctrl-C
stops every child process and exits 130.
"""

from __future__ import annotations

import argparse
import sys

from harness.cli import conformance, load, lock, report, run
from harness.errors import HarnessError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run.add_parser(sub)
    report.add_parser(sub)
    load.add_parsers(sub)
    conformance.add_parser(sub)
    lock.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"harness {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"harness {args.command}: interrupted; child processes stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
