"""``harness serve`` and ``harness load``: a chat server for Locust's web UI, and
Locust headless against envs and servers.

``harness load`` exits 0 when every env and server produced figures with no
loss and no errors, 1 when some showed loss or errors, 2 on bad input or
when a run produced no figures, 130 on Ctrl-C (children stopped).
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
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
from harness.errors import BadInput, LoadError
from harness.fixtures import PASSWORD
from harness.load.options import Capacity, LoadOptions
from harness.load.population import DEFAULT_GROUP_SIZE
from harness.load.repeat import load_repeated, parse_repeat, spread_text
from harness.load.runs import LoadEnv, load_env, served
from harness.load.scale import counts_for, parse_counts
from harness.load.settings import DEFAULT_MIX, ServeManifest, parse_mix
from harness.load.sockets import DEFAULT_SOCKETS, SocketPlan, idle_capacity, parse_sockets, sockets_line
from harness.load.table import markdown_table
from harness.paths import LOAD_FIGURES
from harness.sut.procs import stop_all
from harness.sut.spread import dev_server_note

MAX_USERS = 5000
MAX_WORKERS = 16
MAX_RATE = 1000.0  # messages/s per user: beyond it one user's schedule is a busy loop


def _load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--group-size", type=int, default=DEFAULT_GROUP_SIZE, help="members per generated group")
    parser.add_argument(
        "--rate",
        "--message-rate",
        dest="message_rate",
        default="1",  # parsed in _options: a bad value is one line, not argparse's usage
        help="messages per second per user, sent on a fixed schedule (open loop; default 1)",
    )
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"weights of the kinds (default {DEFAULT_MIX})")
    parser.add_argument("--message-bytes", type=int, default=128, help="size of each message (default 128)")
    parser.add_argument("--loss-timeout", type=float, default=5.0, help="seconds before a delivery is lost (5)")
    parser.add_argument(
        "--publish-path", default="auto", choices=("auto", "socket", "http"), help="where a stack offers both"
    )
    add_chat_options(parser)


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="start Redis and one chat server with load users, for Locust's web UI")
    serve.add_argument("env", metavar="ENV")
    serve.add_argument("--server", help="server mode (default: the env's last, e.g. uwsgi)")
    serve.add_argument("--load-users", type=int, default=100, help="generated users in the database (default 100)")
    serve.add_argument("--max-seconds", type=float, default=3600, help="stop by itself after this (default 3600)")
    _load_options(serve)
    serve.set_defaults(func=cmd_serve)

    load = sub.add_parser("load", help="run Locust headless against envs and servers; figures in reports/load/")
    load.add_argument("envs", nargs="+", metavar="ENV")
    add_server_option(load)
    load.add_argument("--users", type=int, default=50, help="concurrent Locust users (default 50)")
    load.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second (default 10)")
    load.add_argument("--run-time", default="30s", help="e.g. 30s, 2m (default 30s)")
    load.add_argument("--workers", type=int, default=0, help="run a Locust master and N workers on loopback")
    load.add_argument("--load-users", type=int, default=0, help="generated users (default: --users or --max-users)")
    load.add_argument("--load-dir", default=str(LOAD_FIGURES), help="where figures go")
    cap = load.add_argument_group("capacity", "step load until p99 passes a limit or loss appears")
    cap.add_argument("--capacity", action="store_true", help="step load instead of --users/--run-time")
    cap.add_argument("--step-users", type=int, default=10, help="users added per step (default 10)")
    cap.add_argument("--step-seconds", type=float, default=15.0, help="seconds per step (default 15)")
    cap.add_argument("--max-users", type=int, default=200, help="last step (default 200)")
    cap.add_argument("--p99-limit-ms", type=float, default=250.0, help="p99 delivery latency limit (default 250)")
    _load_options(load)
    _scale_options(load)
    load.set_defaults(func=cmd_load)


def _scale_options(load: argparse.ArgumentParser) -> None:
    """Issue 13's options: server processes, repeats."""
    scale = load.add_argument_group("scale", "server processes and repeated runs")
    scale.add_argument(
        "--processes",
        default="1",
        help="server processes per mode, each on its own port, e.g. 1,2,4 for a scaling table "
        "(dev servers stay single; default 1)",
    )
    scale.add_argument(
        "--sockets",
        nargs="?",
        const=str(DEFAULT_SOCKETS),
        default=None,
        help=f"idle-socket capacity instead of Locust: ramp to N logged-in idle sockets (default {DEFAULT_SOCKETS})",
    )
    scale.add_argument(
        "--repeat", default="1", help="run each server N times: headline figures as median (min-max) (default 1)"
    )
    scale.add_argument("--markdown", action="store_true", help="print the side-by-side table (README) at the end")
    scale.add_argument("--sockets-time-limit", type=float, default=300.0, help="bound of the ramp, s (300)")


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise BadInput(f"--rate must be a number of messages/s per user, got {text!r}") from None
    if not math.isfinite(rate) or not 0 < rate <= MAX_RATE:
        raise BadInput(f"--rate must be more than 0 and at most {MAX_RATE:g} messages/s per user, got {text!r}")
    return rate


def _options(args: argparse.Namespace) -> LoadOptions:
    parse_mix(args.mix)
    args.message_rate = _rate(str(args.message_rate))
    for name, value, low in (("--loss-timeout", args.loss_timeout, 0.0), ("--message-bytes", args.message_bytes, 0)):
        if not math.isfinite(value) or value <= low:
            raise BadInput(f"{name} must be a number more than {low:g}, got {value:g}")
    capacity = None
    users, spawn_rate, run_time, workers = 1, 1.0, "1s", 0
    if args.command == "load":
        users, spawn_rate, run_time, workers = args.users, args.spawn_rate, args.run_time, args.workers
        if not 1 <= users <= MAX_USERS:
            raise BadInput(f"--users must be between 1 and {MAX_USERS}, got {users}")
        if spawn_rate <= 0:
            raise BadInput(f"--spawn-rate must be more than 0, got {spawn_rate:g}")
        if not 0 <= workers <= MAX_WORKERS:
            raise BadInput(f"--workers must be between 0 and {MAX_WORKERS}, got {workers}")
        if args.capacity:
            if not (1 <= args.step_users <= args.max_users <= MAX_USERS and args.step_seconds >= 5):
                raise BadInput("capacity needs 1 <= --step-users <= --max-users <= 5000 and --step-seconds >= 5")
            capacity = Capacity(args.step_users, args.step_seconds, args.max_users, args.p99_limit_ms)
    return LoadOptions(
        users=users,
        spawn_rate=spawn_rate,
        run_time=run_time,
        workers=workers,
        message_rate=args.message_rate,
        mix=args.mix,
        message_bytes=args.message_bytes,
        loss_timeout=args.loss_timeout,
        load_users=args.load_users,
        group_size=args.group_size,
        publish_path=args.publish_path,
        capacity=capacity,
        chat=chat_options(args),
    )


def _line(result: dict[str, Any]) -> str:
    head = f"{result['env']} on {result['server']}"
    if result.get("processes", 1) > 1:
        head += f" ×{result['processes']} processes"
    if result["status"] != "ok":
        return f"✗ {head}: no figures: {result['reason']}"
    t = result["totals"]
    text = (
        f"{head}: {t['deliveries_per_s']:g} deliveries/s, p50 {t['p50']} ms, p95 {t['p95']} ms, "
        f"p99 {t['p99']} ms, loss {t['loss_pct']:g} % ({t['lost']}), errors {t['errors']}"
    )
    gen = result.get("generator") or {}
    if gen.get("busiest_process_mean_pct") is not None:
        text += f"; generator CPU {gen['busiest_process_mean_pct']:g} % of a core"
        if gen["saturated"]:
            text += " (SATURATED: figures describe the generator)"
    schedule = result.get("schedule") or {}
    if schedule.get("fell_behind"):
        text += f"; {schedule['note']}: sent {schedule['achieved_pct']:g} % of offered"
    if result.get("ended_early"):
        text += f"; ENDED EARLY: {result['ended_early']}"
    room = result.get("headroom") or {}
    if room.get("ratio") is not None:
        text += f"; generator headroom {room['ratio']:g}×"
    cap = result.get("capacity")
    if cap:
        text += f"; capacity {cap['held_users']} users, {cap['held_deliveries_per_s']:g} deliveries/s"
    repeats = result.get("repeats")
    if repeats:
        figures = repeats["spread"]
        text += f"; over {repeats['runs']} runs, median (min–max): " + ", ".join(
            f"{name} {spread_text(figures[name])}" for name in ("deliveries_per_s", "p50", "p99") if name in figures
        )
    mark = "✓" if t["deliveries"] and not t["lost"] and not t["errors"] else "✗"
    return f"{mark} {text}"


def _command() -> str:
    return shlex.join(["harness", *sys.argv[1:]])


def cmd_load(args: argparse.Namespace) -> int:
    options = _options(args)
    counts = parse_counts(args.processes)
    repeat = parse_repeat(args.repeat)
    sockets = SocketPlan(parse_sockets(args.sockets), args.sockets_time_limit) if args.sockets else None
    plan = planned_modes(args)
    stop_on_sigterm()
    worst = 0
    command = _command()
    results: list[dict[str, Any]] = []
    try:
        for spec, servers in plan:
            try:
                with load_env(spec, chosen_work_root(args), options) as env:
                    if sockets is not None:
                        worst = max(worst, idle_sockets(env, servers, sockets, options, Path(args.load_dir), command))
                        continue
                    for server, processes in ((s, n) for s in servers for n in counts_for(s, counts)):
                        if len(counts_for(server, counts)) < len(counts):
                            print(dev_server_note(server, max(counts)), flush=True)
                        run_options = replace(options, processes=processes)
                        result = load_repeated(env, server, run_options, Path(args.load_dir), command, repeat)
                        results.append(result)
                        line = _line(result)
                        print(line, flush=True)
                        worst = max(worst, 2 if result["status"] != "ok" else (0 if line.startswith("✓") else 1))
            except LoadError as exc:
                print(f"✗ {spec.name}: {exc}", flush=True)
                worst = 2
    finally:
        stop_all()
    if args.markdown and results:
        print("\n" + markdown_table(results), flush=True)
    return worst


def idle_sockets(
    env: LoadEnv, servers: Sequence[str], plan: SocketPlan, options: LoadOptions, out: Path, cmd: str
) -> int:
    """``--sockets N``: each server's idle-socket capacity; the exit code so far."""
    worst = 0
    for server in servers:
        result = idle_capacity(env, server, plan, options.population.users, out, cmd)
        print(sockets_line(result), flush=True)
        worst = max(worst, 2 if result["status"] != "ok" else (0 if result["completed"] else 1))
    return worst


def cmd_serve(args: argparse.Namespace) -> int:
    options = _options(args)
    if args.max_seconds <= 0:
        raise BadInput("--max-seconds must be more than 0")
    args.envs, args.server = [args.env], [args.server] if args.server else []
    [(spec, modes)] = planned_modes(args)
    if not args.server:
        modes = modes[-1:]
    if len(modes) > 1:
        raise BadInput(f"--server {args.server[0]} matches {', '.join(modes)} of {spec.name}: name one of them")
    stop_on_sigterm()
    try:
        with load_env(spec, chosen_work_root(args), options) as env, served(env, modes[0]) as urls:
            base_url = urls[0]
            population = options.population
            family = spec.stack.family
            manifest = ServeManifest(base_url, spec.name, modes[0], family, population.count, population.group_size)
            path = manifest.write()
            try:
                print(f"{spec.name} on {modes[0]}: {base_url}", flush=True)
                print(
                    f"{population.count} load users ({population.users[0]}..{population.users[-1]}, password "
                    f"{PASSWORD!r}) in {population.group_count} groups; manifest {path}",
                    flush=True,
                )
                print(f"locust -f locustfile.py --host {base_url} --web-host 127.0.0.1", flush=True)
                print(f"(stops by itself after {args.max_seconds:.0f} s; Ctrl-C to stop now)", flush=True)
                time.sleep(args.max_seconds)
            finally:
                path.unlink(missing_ok=True)
    except KeyboardInterrupt:
        print("harness serve: stopped", file=sys.stderr)
    finally:
        stop_all()
    return 0
