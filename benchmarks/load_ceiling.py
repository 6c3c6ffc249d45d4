"""The load generator's ceiling: deliveries/s per core of Locust at saturation.

    python benchmarks/load_ceiling.py                       # 50 users, rates 2,5,10,20 /s
    python benchmarks/load_ceiling.py --users 100 --rates 5,10 --run-time 20s --workers 2

Drives the minimal fan-out server (``harness.load.fanout_server``: asyncio, no
Django, the Channels chat server's wire protocol) with the real load users
(``locustfile.py``, open loop), one rate after another, until the generator's
busiest process is saturated (≥ 90 % of a core) or falls behind its schedule.
Prints each step and the ceiling (deliveries/s per core of generator CPU), and
keeps it in the harness's work folder, where every ``harness load`` run reads it
to state its headroom.  The fan-out server's CPU is sampled too: when it, not
the generator, is the busy one, the figure is a floor, and is said to be.
"""

from __future__ import annotations

import argparse
import math
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.errors import BadInput
from harness.load import cpu, stats
from harness.load.ceiling import save_ceiling
from harness.load.locust import run_locust
from harness.load.options import LoadOptions
from harness.paths import work_root
from harness.sut.ports import free_port
from harness.sut.procs import ManagedProcess, stop_all

READY_TIMEOUT = 10.0


def _wait_listening(port: int, server: ManagedProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and server.alive():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"fan-out server did not listen within {READY_TIMEOUT:g} s: {server.last_log_lines(5)}")


def one_step(base_url: str, options: LoadOptions, server_pid: int, work: Path) -> dict[str, Any]:
    out = Path(tempfile.mkdtemp(prefix=f"rate{options.message_rate:g}-", dir=work))
    with cpu.CpuSampler(lambda: [server_pid]) as server_cpu:
        outcome = run_locust(base_url, "channels", options, out, work)
    summary = stats.summarize(stats.read_entries(out / "locust.json"))
    gen, srv = outcome["generator"], cpu.judge(server_cpu.samples)
    t, sched = summary["totals"], summary["schedule"]
    gen_pct = gen["busiest_process_mean_pct"] or 0.0
    total_gen_pct = gen_pct * max(1, options.workers)  # workers share the load evenly
    return {
        "rate": options.message_rate,
        "users": options.users,
        "deliveries_per_s": t["deliveries_per_s"],
        "p50": t["p50"],
        "p99": t["p99"],
        "p99_from_send": t["from_send"]["p99"],
        "lost": t["lost"],
        "errors": t["errors"],
        "achieved_pct": sched["achieved_pct"],
        "fell_behind": sched["fell_behind"],
        "generator_pct": gen_pct,
        "generator_saturated": gen["saturated"],
        "server_pct": srv["busiest_process_mean_pct"],
        "generator_timeline": [p["busiest_pct"] for p in gen["timeline"]],
        "per_core": round(t["deliveries_per_s"] / (total_gen_pct / 100.0), 1) if total_gen_pct else 0.0,
    }


def _rates(text: str) -> list[float]:
    try:
        rates = [float(r) for r in text.split(",") if r.strip()]
    except ValueError:
        raise BadInput(f"bad --rates {text!r}: use e.g. 2,5,10") from None
    if not rates or any(not math.isfinite(r) or r <= 0 for r in rates):
        raise BadInput(f"bad --rates {text!r}: each rate must be a number > 0")
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="load users (default 50)")
    parser.add_argument("--rates", default="2,5,10,20", help="messages/s per user, one step each (2,5,10,20)")
    parser.add_argument("--run-time", default="15s", help="per step (default 15s)")
    parser.add_argument("--workers", type=int, default=0, help="Locust workers (default 0: one process)")
    args = parser.parse_args(argv)
    try:
        rates = _rates(args.rates)
        if not 1 <= args.users <= 5000:
            raise BadInput(f"--users must be between 1 and 5000, got {args.users}")
        base = LoadOptions(
            users=args.users,
            spawn_rate=float(args.users),
            run_time=args.run_time,
            workers=args.workers,
            publish_path="socket",
            loss_timeout=5.0,
        )
    except BadInput as exc:
        print(f"load_ceiling: {exc}", file=sys.stderr)
        return 2
    steps: list[dict[str, Any]] = []
    (work_root() / "load").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ceiling-run-", dir=work_root() / "load"))
    port = free_port()
    server = ManagedProcess(
        [
            sys.executable,
            "-m",
            "harness.load.fanout_server",
            "--port",
            str(port),
            "--load-users",
            str(base.population.count),
        ],
        work / "fanout-server.log",
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        _wait_listening(port, server)
        for rate in rates:
            options = LoadOptions(**{**base.__dict__, "message_rate": rate})
            step = one_step(f"http://127.0.0.1:{port}", options, server.pid, work)
            steps.append(step)
            print(
                f"rate {rate:g}/s × {args.users} users: {step['deliveries_per_s']:g} deliveries/s, "
                f"p50 {step['p50']} ms, p99 {step['p99']} ms (from send {step['p99_from_send']} ms), "
                f"sent {step['achieved_pct']:g} % of schedule, generator {step['generator_pct']:g} % of a core, "
                f"fan-out server {step['server_pct']} %, {step['per_core']:g} deliveries/s per generator core",
                flush=True,
            )
            if step["generator_saturated"] or step["fell_behind"]:
                break
    except KeyboardInterrupt:
        print("load_ceiling: interrupted; child processes stopped", file=sys.stderr)
        return 130
    finally:
        server.stop()
        stop_all()
    if not steps:
        return 1
    best = max(steps, key=lambda s: s["deliveries_per_s"])
    saturated = best["generator_saturated"] or best["fell_behind"]
    server_bound = (best["server_pct"] or 0) >= cpu.SATURATED_PCT and not best["generator_saturated"]
    figures = {
        "per_core": best["per_core"],
        "deliveries_per_s": best["deliveries_per_s"],
        "generator_pct": best["generator_pct"],
        "saturated": saturated,
        "server_bound": server_bound,
        "host": socket.gethostname(),
        "cores": cpu.judge([]).get("cores"),
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python", "benchmarks/load_ceiling.py", *(argv or sys.argv[1:])]),
        "steps": steps,
    }
    path = save_ceiling(figures)
    how = "at saturation" if saturated else "NOT saturated (extrapolated from the CPU it used)"
    if server_bound:
        how += "; the fan-out server was the busy one, so this is a floor"
    print(
        f"generator ceiling: {best['per_core']:g} deliveries/s per core {how} "
        f"({best['deliveries_per_s']:g} deliveries/s at {best['generator_pct']:g} % of a core); kept in {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
