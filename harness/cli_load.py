"""Command line of the load tests: ``harness serve`` and ``harness load``.

``harness load`` exits 0 when every env and server produced figures with no
loss and no errors, 1 when some showed loss or errors, 2 on bad input or
when a run produced no figures, 130 on Ctrl-C (children stopped).
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

from harness.loadconfig import DEFAULT_MIX, BadLoadSettings, parse_mix
from harness.loadusers import DEFAULT_GROUP_SIZE, BadPopulation
from harness.matrix import BadEnvName, EnvSpec, parse_env_name
from harness.stacks.base import ROOT

MAX_USERS = 5000
MAX_WORKERS = 16


class BadInput(ValueError):
    pass


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--work-root", help="where venvs and logs go (default .harness/ or $HARNESS_WORK_ROOT)")
    parser.add_argument("--settings", default="chatserver.settings", help="Django settings module of the chat server")
    parser.add_argument("--pythonpath", action="append", default=[], help="extra folder on the server's PYTHONPATH")
    parser.add_argument("--group-size", type=int, default=DEFAULT_GROUP_SIZE, help="members per generated group")
    parser.add_argument("--message-rate", type=float, default=1.0, help="messages per second per user (default 1)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"weights of the kinds (default {DEFAULT_MIX})")
    parser.add_argument("--message-bytes", type=int, default=128, help="size of each message (default 128)")
    parser.add_argument("--loss-timeout", type=float, default=5.0, help="seconds before a delivery is lost (5)")
    parser.add_argument(
        "--keep-password-hasher",
        action="store_true",
        help="log in with the server's own hasher (default: Django's fast MD5 hasher, so logins do not dominate)",
    )
    parser.add_argument(
        "--publish-path", default="auto", choices=("auto", "socket", "http"), help="where a stack offers both"
    )


def add_parsers(sub: Any) -> None:
    serve = sub.add_parser("serve", help="start Redis and one chat server with load users, for Locust's web UI")
    serve.add_argument("env", metavar="ENV")
    serve.add_argument("--server", help="server mode (default: the env's last, e.g. uwsgi)")
    serve.add_argument("--load-users", type=int, default=100, help="generated users in the database (default 100)")
    serve.add_argument("--max-seconds", type=float, default=3600, help="stop by itself after this (default 3600)")
    _common(serve)
    serve.set_defaults(func=cmd_serve)

    load = sub.add_parser("load", help="run Locust headless against envs and servers; figures in reports/load/")
    load.add_argument("envs", nargs="+", metavar="ENV")
    load.add_argument("--server", action="append", default=[], help="only this server mode (repeatable)")
    load.add_argument("--users", type=int, default=50, help="concurrent Locust users (default 50)")
    load.add_argument("--spawn-rate", type=float, default=10.0, help="users started per second (default 10)")
    load.add_argument("--run-time", default="30s", help="e.g. 30s, 2m (default 30s)")
    load.add_argument("--workers", type=int, default=0, help="run a Locust master and N workers on loopback")
    load.add_argument("--load-users", type=int, default=0, help="generated users (default: --users or --max-users)")
    load.add_argument("--load-dir", default=str(ROOT / "reports" / "load"), help="where figures go")
    cap = load.add_argument_group("capacity", "step load until p99 passes a limit or loss appears")
    cap.add_argument("--capacity", action="store_true", help="step load instead of --users/--run-time")
    cap.add_argument("--step-users", type=int, default=10, help="users added per step (default 10)")
    cap.add_argument("--step-seconds", type=float, default=15.0, help="seconds per step (default 15)")
    cap.add_argument("--max-users", type=int, default=200, help="last step (default 200)")
    cap.add_argument("--p99-limit-ms", type=float, default=250.0, help="p99 delivery latency limit (default 250)")
    _common(load)
    load.set_defaults(func=cmd_load)


def _options(args: argparse.Namespace) -> Any:
    from harness.load import Capacity, LoadOptions

    parse_mix(args.mix)
    for name, value, low in (
        ("--message-rate", args.message_rate, 0.0),
        ("--loss-timeout", args.loss_timeout, 0.0),
        ("--message-bytes", args.message_bytes, 0),
    ):
        if value <= low:
            raise BadInput(f"{name} must be more than {low:g}, got {value:g}")
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
    options = LoadOptions(
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
        fast_password_hasher=not args.keep_password_hasher,
        capacity=capacity,
        settings_module=args.settings,
        extra_pythonpath=tuple(Path(p).resolve() for p in args.pythonpath),
    )
    try:
        options.run_seconds  # noqa: B018 - validates --run-time
        options.population  # noqa: B018 - validates --load-users and --group-size
    except (ValueError, BadPopulation) as exc:
        raise BadInput(str(exc)) from None
    return options


def _work_root(args: argparse.Namespace) -> Path:
    from harness.loadconfig import work_root

    return Path(args.work_root) if args.work_root else work_root()


def _plan(args: argparse.Namespace) -> list[tuple[EnvSpec, list[str]]]:
    specs = [parse_env_name(name) for name in args.envs]
    wanted = list(args.server)
    for server in wanted:
        if not any(server in spec.servers for spec in specs):
            known = sorted({s for spec in specs for s in spec.servers})
            raise BadInput(f"no env given has server {server!r}; their servers are {', '.join(known)}")
    plan = []
    for spec in specs:
        servers = [s for s in spec.servers if s in wanted] if wanted else list(spec.servers)
        if not servers:
            raise BadInput(f"{spec.name} has none of the servers {', '.join(wanted)}")
        plan.append((spec, servers))
    return plan


def _line(result: dict[str, Any]) -> str:
    head = f"{result['env']} on {result['server']}"
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
    cap = result.get("capacity")
    if cap:
        text += f"; capacity {cap['held_users']} users, {cap['held_deliveries_per_s']:g} deliveries/s"
    mark = "✓" if t["deliveries"] and not t["lost"] and not t["errors"] else "✗"
    return f"{mark} {text}"


def _command() -> str:
    return shlex.join(["harness", *sys.argv[1:]])


def cmd_load(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
        plan = _plan(args)
    except (BadInput, BadEnvName, BadLoadSettings) as exc:
        print(f"harness load: {exc}", file=sys.stderr)
        return 2
    from harness.load import LoadError, load_env_server, prepared_env

    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    worst = 0
    for spec, servers in plan:
        try:
            with prepared_env(spec, _work_root(args), options) as prepared:
                for server in servers:
                    result = load_env_server(prepared, server, options, Path(args.load_dir), _command())
                    line = _line(result)
                    print(line, flush=True)
                    worst = max(worst, 2 if result["status"] != "ok" else (0 if line.startswith("✓") else 1))
        except LoadError as exc:
            print(f"✗ {spec.name}: {exc}", flush=True)
            worst = 2
    return worst


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        options = _options(args)
        spec = parse_env_name(args.env)
        server = args.server or spec.servers[-1]
        if server not in spec.servers:
            raise BadInput(f"{spec.name} has no server {server!r}; its servers are {', '.join(spec.servers)}")
        if args.max_seconds <= 0:
            raise BadInput("--max-seconds must be more than 0")
    except (BadInput, BadEnvName, BadLoadSettings) as exc:
        print(f"harness serve: {exc}", file=sys.stderr)
        return 2
    from harness.load import LoadError, serve

    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    try:
        serve(spec, server, options, _work_root(args), args.max_seconds)
    except LoadError as exc:
        print(f"harness serve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("harness serve: stopped", file=sys.stderr)
    return 0
