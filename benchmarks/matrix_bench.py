"""Time the matrix: cold and warm, per-env phases, and tox's plain runner for comparison.

    python benchmarks/matrix_bench.py                      # the full label, tox -p auto
    python benchmarks/matrix_bench.py --envs a,b,c -p 2    # a subset
    python benchmarks/matrix_bench.py --runner uv --cold-caches

Each runner gets its own folders under --out (tox envs, SUT venvs, results):
the first run in them is *cold* (no tox env, no SUT venv; package caches as
they are, or empty with --cold-caches), the second is *warm* (everything
reused).  "uv" is the project's setup (the harness-driver runner, SUT venvs
by uv); "plain" is tox's virtualenv + pip for the driver
(``-x testenv.runner=harness-driver-pip``) and ``python -m venv`` + pip for
the SUT (``HARNESS_SUT_INSTALLER=pip``).  Per-env phases come from tox's
--result-json (environment: the driver env's setup) and from each results
file's ``timings`` (install, migrate, start, scenarios).  Figures are printed
as Markdown and kept in --out/bench.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.matrix.labels import LABELS  # noqa: E402 - after the path set-up above

PHASES = ("environment", "install", "migrate", "start", "scenarios")
RUNNERS = {
    "uv": ([], {}),
    "plain": (["-x", "testenv.runner=harness-driver-pip"], {"HARNESS_SUT_INSTALLER": "pip"}),
}
RUN_TIMEOUT = 4 * 3600  # a cold full matrix compiles uWSGI and gevent many times


@dataclass
class Run:
    runner: str
    temperature: str  # "cold" | "warm"
    wall_seconds: float
    exit_code: int | None
    envs: dict[str, dict[str, float]] = field(default_factory=dict)  # env -> phase -> seconds
    statuses: dict[str, str] = field(default_factory=dict)


def tox_command(envs: list[str], parallel: str, folder: Path, results: Path, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tox",
        "-p",
        parallel,
        "--workdir",
        str(folder / "tox"),
        "--result-json",
        str(folder / "tox-result.json"),
        *extra,
        "-e",
        ",".join(envs),
        "--",
        "--results-dir",
        str(results),
    ]


def phases(folder: Path, results: Path, envs: list[str]) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Per env: seconds per phase, and the env's status."""
    tox_json = folder / "tox-result.json"
    tox_envs = json.loads(tox_json.read_text()).get("testenvs", {}) if tox_json.is_file() else {}
    timings: dict[str, dict[str, float]] = {}
    statuses: dict[str, str] = {}
    for env in envs:
        row: dict[str, float] = {}
        tox_env = tox_envs.get(env, {})
        total = tox_env.get("result", {}).get("duration")
        if total is not None:
            commands = sum(entry.get("elapsed", 0.0) for entry in tox_env.get("test", []))
            row["environment"] = round(total - commands, 2)
        results_file = results / f"{env}.json"
        if results_file.is_file():
            result = json.loads(results_file.read_text())
            statuses[env] = result["status"]
            row |= {k: v for k, v in result["timings"].items() if k in PHASES}
        row["total"] = round(total, 2) if total is not None else sum(row.values())
        timings[env] = row
    return timings, statuses


def run_bounded(command: list[str], env: dict[str, str], out: IO[str]) -> int | None:
    """Run tox in its own process group; on timeout or Ctrl-C stop the whole group
    (tox, its envs, their servers): INT first so that tox and the harness clean up."""
    tox = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        return tox.wait(timeout=RUN_TIMEOUT)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        for sig, grace in ((signal.SIGINT, 30), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(tox.pid, sig)
            try:
                tox.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        if tox.poll() is None:
            raise
        return None


def run_once(runner: str, temperature: str, envs: list[str], args: argparse.Namespace) -> Run:
    folder = args.out / runner
    extra, extra_env = RUNNERS[runner]
    env = os.environ | extra_env | {"HARNESS_WORK_ROOT": str(folder / "work")}
    if args.cold_caches:
        env |= {"UV_CACHE_DIR": str(folder / "uv-cache"), "PIP_CACHE_DIR": str(folder / "pip-cache")}
    results = folder / f"results-{temperature}"  # kept per run: `harness report --results-dir` it
    results.mkdir(parents=True, exist_ok=True)
    for stale in [*(results / f"{env}.json" for env in envs), folder / "tox-result.json"]:
        stale.unlink(missing_ok=True)  # a run that fails early must not show the last run's figures
    command = tox_command(envs, args.parallel, folder, results, extra)
    log = folder / f"tox-{temperature}.log"
    print(f"[{runner} {temperature}] {' '.join(command[2:8])} ... ({len(envs)} envs, log {log})", flush=True)
    began = time.monotonic()
    with log.open("w") as out:
        code = run_bounded(command, env, out)
    wall = round(time.monotonic() - began, 1)
    timings, statuses = phases(folder, results, envs)
    return Run(runner, temperature, wall, code, timings, statuses)


def summary(runs: list[Run]) -> str:
    lines = [
        "| runner | run | envs | wall s | env median s | env max s | "
        + " | ".join(f"{p} median s" for p in PHASES)
        + " | ✓/✗/─ |",
        "|---" * (7 + len(PHASES)) + "|",
    ]
    for run in runs:
        totals = [row["total"] for row in run.envs.values() if "total" in row] or [0.0]
        medians = []
        for phase in PHASES:
            values = [row[phase] for row in run.envs.values() if phase in row]
            medians.append(f"{statistics.median(values):.1f}" if values else "─")
        counts = [sum(1 for s in run.statuses.values() if s in group) for group in (("pass",), ("fail", "error"))]
        untested = sum(1 for s in run.statuses.values() if s == "not-tested")
        lines.append(
            f"| {run.runner} | {run.temperature} | {len(run.envs)} | {run.wall_seconds:.1f} | "
            f"{statistics.median(totals):.1f} | {max(totals):.1f} | "
            + " | ".join(medians)
            + f" | {counts[0]}/{counts[1]}/{untested} |"
        )
    return "\n".join(lines)


def per_env_table(run: Run) -> str:
    lines = ["| env | " + " | ".join(PHASES) + " | total s |", "|---" * (len(PHASES) + 2) + "|"]
    for env, row in run.envs.items():
        cells = " | ".join(f"{row[p]:.1f}" if p in row else "─" for p in PHASES)
        lines.append(f"| {env} | {cells} | {row.get('total', 0):.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--label", default="full", help="a label of harness/matrix.py (default: full)")
    chosen.add_argument("--envs", help="comma-separated env names instead of a label")
    parser.add_argument("-p", "--parallel", default="auto", help="tox -p value (default: auto)")
    parser.add_argument("--out", type=Path, default=ROOT / ".harness" / "bench", help="working folder")
    parser.add_argument("--skip-cold", action="store_true", help="reuse --out's envs: warm runs only")
    parser.add_argument("--runner", action="append", choices=list(RUNNERS), help="only this runner (repeatable)")
    parser.add_argument("--cold-caches", action="store_true", help="empty uv and pip caches too (downloads all)")
    args = parser.parse_args(argv)
    envs = args.envs.split(",") if args.envs else list(LABELS[args.label])

    runs: list[Run] = []
    for runner in args.runner or list(RUNNERS):
        if not args.skip_cold:
            for name in ("tox", "work", "uv-cache", "pip-cache"):
                shutil.rmtree(args.out / runner / name, ignore_errors=True)
            runs.append(run_once(runner, "cold", envs, args))
        runs.append(run_once(runner, "warm", envs, args))

    print("\n" + summary(runs))
    for run in runs:
        print(f"\n{run.runner} {run.temperature} (exit {run.exit_code}):\n\n{per_env_table(run)}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps([asdict(run) for run in runs], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
