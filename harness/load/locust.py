"""Running Locust headless: its command lines (one process, or a master and N
workers on loopback), bounded in time, with the generator's CPU sampled."""

from __future__ import annotations

import importlib.metadata
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.load import cpu
from harness.load.options import LoadOptions
from harness.paths import ROOT
from harness.sut.ports import LOOPBACK, free_port
from harness.sut.procs import ManagedProcess

LOCUSTFILE = ROOT / "locustfile.py"
CAPACITY_SHAPE = ROOT / "locustfile_capacity.py"
LOCUST_START_GRACE = 60.0  # imports, workers connecting
LOCUST_END_GRACE = 60.0  # drain, final reports, file writing


def locust_options(family: str, options: LoadOptions, hosts: Sequence[str] = ()) -> list[str]:
    """The harness's options of the locustfile (see harness/load/settings.py)."""
    out = [
        "--chat-stack",
        family,
        "--load-users",
        str(options.population.count),
        "--group-size",
        str(options.group_size),
        "--message-rate",
        str(options.message_rate),
        "--mix",
        options.mix,
        "--message-bytes",
        str(options.message_bytes),
        "--loss-timeout",
        str(options.loss_timeout),
        "--publish-path",
        options.publish_path,
    ]
    if len(hosts) > 1:
        out += ["--chat-hosts", ",".join(hosts)]
    if options.capacity:
        cap = options.capacity
        out += ["--step-users", str(cap.step_users), "--step-seconds", str(cap.step_seconds)]
        out += ["--max-users", str(cap.max_users), "--p99-limit-ms", str(cap.p99_limit_ms)]
    return out


def locust_commands(
    base_url: str, family: str, options: LoadOptions, out_dir: Path, hosts: Sequence[str] = ()
) -> list[list[str]]:
    """The master (or only) Locust command first, then one per worker."""
    files = str(LOCUSTFILE) + (f",{CAPACITY_SHAPE}" if options.capacity else "")
    base = [sys.executable, "-m", "locust", "-f", files]
    run_time = f"{int(options.run_seconds)}s"
    main = [
        *base,
        "--headless",
        "--host",
        base_url,
        "--users",
        str(options.users),
        "--spawn-rate",
        str(options.spawn_rate),
        "--run-time",
        run_time,
        "--csv",
        str(out_dir / "locust"),
        "--csv-full-history",
        "--html",
        str(out_dir / "locust.html"),
        "--json-file",
        str(out_dir / "locust"),
        "--only-summary",
        "--exit-code-on-error",
        "0",
        *locust_options(family, options, hosts),
    ]
    if options.capacity:
        main += ["--capacity-out", str(out_dir / "capacity.json")]
    if not options.workers:
        return [main]
    port = free_port()
    main += ["--master", "--master-bind-host", LOOPBACK, "--master-bind-port", str(port)]
    main += ["--expect-workers", str(options.workers), "--expect-workers-max-wait", str(int(LOCUST_START_GRACE))]
    worker = [*base, "--worker", "--master-host", LOOPBACK, "--master-port", str(port)]
    return [main] + [list(worker) for _ in range(options.workers)]


def run_locust(
    base_url: str, family: str, options: LoadOptions, out_dir: Path, log_dir: Path, hosts: Sequence[str] = ()
) -> dict[str, Any]:
    """Run Locust to its end (bounded) and sample its CPU; returns how it went."""
    commands = locust_commands(base_url, family, options, out_dir, hosts)
    processes: list[ManagedProcess] = []
    started = time.monotonic()
    deadline = started + LOCUST_START_GRACE + options.run_seconds + options.loss_timeout + LOCUST_END_GRACE
    try:
        with cpu.CpuSampler(lambda: [p.pid for p in processes if p.alive()]) as sampler:
            for index, cmd in enumerate(commands):
                name = "locust-master" if options.workers and index == 0 else f"locust-{index or 'main'}"
                if options.workers and index:
                    name = f"locust-worker{index}"
                processes.append(ManagedProcess(cmd, log_dir / f"{name}.log", cwd=ROOT))
            main = processes[0]
            while main.alive() and time.monotonic() < deadline:
                time.sleep(0.2)
            timed_out = main.alive()
    finally:
        for process in processes:
            process.stop()
    return {
        "seconds": round(time.monotonic() - started, 1),
        "exit_code": None if timed_out else main.popen.returncode,
        "timed_out": timed_out,
        "log_tail": main.last_log_lines(15),
        "generator": cpu.judge(sampler.samples),
        "command": commands[0],
    }


def locust_version() -> str:
    # Never import locust in the driver: it monkey-patches the standard library with gevent.
    try:
        return importlib.metadata.version("locust")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"
