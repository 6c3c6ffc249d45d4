"""``harness lock``: resolve the matrix's rows afresh and rewrite ``matrix.lock.json``.

    harness lock                 # every row of every label; prints what moved
    harness lock ENV...          # only these rows
    harness lock --check         # exit 1 if a row of the matrix is not locked (no network)

Refreshing the lock is a deliberate commit: the lines printed ("row: package
old -> new") are what moved, for the commit message.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from harness.matrix.envs import parse_env_name
from harness.matrix.labels import LABELS, all_env_names
from harness.matrix.lock import locked_row
from harness.paths import work_root
from harness.sut.lockfile import refresh, write_lock


def add_parser(sub: Any) -> None:
    lock = sub.add_parser("lock", help="resolve every row's exact requirements into matrix.lock.json")
    lock.add_argument("envs", nargs="*", metavar="ENV", help="only these rows (default: every env of tox -l)")
    lock.add_argument("--check", action="store_true", help="only check that every row of the matrix is locked")
    lock.add_argument("--workers", type=int, default=4, help="resolutions at a time (default 4)")
    lock.set_defaults(func=cmd_lock)


def pinned_envs() -> list[str]:
    """Every env whose row the lock holds: every label's but the unpinned ``latest``."""
    latest = set(LABELS["latest"])
    return [env for env in all_env_names() if env not in latest]


def cmd_lock(args: argparse.Namespace) -> int:
    envs = args.envs or pinned_envs()
    if args.check:
        missing = sorted({parse_env_name(e).row for e in envs if locked_row(parse_env_name(e).row) is None})
        for row in missing:
            print(f"not locked: {row} (run `harness lock {row}`)", file=sys.stderr)
        return 1 if missing else 0
    rows, moved = refresh(envs, work_root() / "lock-logs", workers=max(1, args.workers))
    path = write_lock(rows)
    for line in moved:
        print(line)
    print(f"wrote {path}: {len(rows)} rows, {len(moved)} lines moved")
    return 0
