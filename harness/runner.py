"""Run one env end to end: interpreter, SUT venv, Redis, each server mode, the
pytest scenarios against it, and the results file.

Whatever happens (install error, crash at start, Ctrl-C) the results file is
written and every child process is stopped.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness import results
from harness.chatserver import ChatConfig, ChatServer, ServerStart, SetupError, fresh_copy, prepare_database
from harness.delivery import delivery_cells
from harness.interpreters import find_interpreter
from harness.matrix import EnvSpec
from harness.procs import stop_all
from harness.redis_server import RedisUnavailable, private_redis
from harness.scenario_plugin import Collector
from harness.stacks import stack_for
from harness.stacks.base import ROOT
from harness.sutenv import InstallError, SutEnv, build_sut_env

SCENARIOS_DIR = ROOT / "scenarios"


@dataclass(frozen=True)
class RunOptions:
    results_dir: Path
    work_root: Path
    settings_module: str = "chatserver.settings"
    extra_pythonpath: tuple[Path, ...] = ()
    servers: tuple[str, ...] = ()  # empty: every server mode of the env
    servers_ahead: int = 2  # server modes starting while one is driven
    fast_password_hasher: bool = True  # Django's MD5 hasher (chatservers/fast_login)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_scenarios(base_url: str, family: str, server: str, log_dir: Path) -> Collector:
    """Run the pytest scenarios in-process against a live server."""
    collector = Collector()
    args = [
        str(SCENARIOS_DIR),
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(SCENARIOS_DIR),
        "-o",
        "console_output_style=classic",
        # Nine modes per env run this in one process: plain asserts (every assert
        # carries its detail) spare re-compiling the scenarios on each run, and
        # the unraisable-exception plugin's two gc.collect() calls per run.
        "--assert=plain",
        "-p",
        "no:unraisableexception",
        "--chat-url",
        base_url,
        "--chat-stack",
        family,
        "--chat-server",
        server,
        f"--junitxml={log_dir / f'scenarios-{server}.xml'}",
    ]
    if pytest.main(args, plugins=[collector]) == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt("scenarios interrupted")  # pytest swallows Ctrl-C; pass it on
    return collector


def _server_verdict(
    server: dict[str, Any], cells: list[dict[str, Any]], errors: list[str], expected_cells: int
) -> str | None:
    """None when the server mode passed, else the reason it did not."""
    reason = _first_problem(server, cells, errors, expected_cells)
    if reason and server["started"] and server["exceptions"]:
        reason += f" (server logged {server['exceptions'][0]})"
    return reason


def _first_problem(
    server: dict[str, Any], cells: list[dict[str, Any]], errors: list[str], expected_cells: int
) -> str | None:
    if not server["started"]:
        return f"{server['name']}: web server does not work: {server['error']}"
    if errors:
        return f"{server['name']}: scenarios broke: {errors[0]}"
    bad = [c for c in cells if not c["ok"]]
    if len(cells) != expected_cells:
        return f"{server['name']}: {len(cells)} of {expected_cells} delivery cells were observed"
    if bad:
        first = bad[0]
        return (
            f"{server['name']}: {len(bad)}/{len(cells)} delivery cells failed, first "
            f"{first['kind']} {first['sender']}->{first['target']}: {first['detail']}"
        )
    return None


def run_env(spec: EnvSpec, options: RunOptions) -> dict[str, Any]:
    result = results.new_result(
        spec.name, spec.python_version, spec.django_version, spec.stack.package, spec.stack.version
    )
    result["started_at"] = _now()
    try:
        _run(spec, options, result)
    except KeyboardInterrupt:
        result["status"], result["reason"] = "error", "interrupted (Ctrl-C)"
        raise
    except Exception as exc:  # a harness bug must still leave a results file
        result["status"], result["reason"] = "error", f"harness error: {type(exc).__name__}: {exc}"
    finally:
        stop_all()
        result["finished_at"] = _now()
        results.save(result, options.results_dir)
    return result


def _run(spec: EnvSpec, options: RunOptions, result: dict[str, Any]) -> None:
    timings: dict[str, float] = result["timings"]
    interpreter = find_interpreter(spec.python_version)
    if interpreter is None:
        result["status"] = "not-tested"
        result["reason"] = f"not tested: interpreter not available (python{spec.python_version} not found)"
        return
    work_dir = options.work_root / spec.name
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)

    started = time.monotonic()
    try:
        sut = build_sut_env(work_dir / "venv", interpreter, spec.requirements(), log_dir)
    except InstallError as exc:
        timings["install"] = round(time.monotonic() - started, 2)
        result["python"] = interpreter.version
        result["status"], result["reason"] = "fail", f"install failed: {exc.key_line}"
        return
    timings["install"] = round(time.monotonic() - started, 2)
    result["python"] = interpreter.version
    result["django"] = sut.packages.get("Django", spec.django_version)
    result["stack"]["version"] = sut.packages.get(spec.stack.package, spec.stack.version)
    result["stack"]["packages"] = sut.packages
    result["venv_reused"] = sut.reused
    result["fast_password_hasher"] = options.fast_password_hasher

    stack = stack_for(spec.stack.family)
    try:
        with private_redis(work_dir) as redis_endpoint:
            result["redis"] = redis_endpoint.as_result()
            config = ChatConfig(
                stack,
                options.settings_module,
                redis_endpoint,
                key_prefix=f"h-{spec.name}-{secrets.token_hex(3)}",
                extra_pythonpath=options.extra_pythonpath,
                fast_password_hasher=options.fast_password_hasher,
                bytecode_dir=work_dir / "bytecode",
            )
            template_db = work_dir / "template.sqlite3"
            try:
                seconds, result["database_reused"] = prepare_database(config, sut, template_db, log_dir, reuse=True)
                timings["migrate"] = round(seconds, 2)
            except SetupError as exc:
                result["status"], result["reason"] = "fail", str(exc)
                return
            _run_servers(spec, options, config, sut, template_db, work_dir, result)
    except RedisUnavailable as exc:
        result["status"], result["reason"] = "error", f"redis: {exc}"


def _run_servers(
    spec: EnvSpec,
    options: RunOptions,
    config: ChatConfig,
    sut: SutEnv,
    template_db: Path,
    work_dir: Path,
    result: dict[str, Any],
) -> None:
    """Each server mode in turn, the next ones already starting while one is driven.

    Scenarios run one mode at a time, so their verdicts never share a server;
    starting ahead only hides the start-up wait.  Each mode has its own
    database copy, port and Redis key prefix.
    """
    timings: dict[str, float] = result["timings"]
    log_dir = work_dir / "logs"
    reasons: list[str] = []
    expected_cells = len(delivery_cells(config.stack.protocol("count").publish_paths))
    waiting = deque(enumerate(spec.select_modes(options.servers)))
    live: deque[ChatServer] = deque()

    def start_ahead() -> None:
        while waiting and len(live) <= options.servers_ahead:
            index, mode = waiting.popleft()
            db = fresh_copy(template_db, work_dir / f"chat-{mode}.sqlite3")
            live.append(ChatServer(config, sut, mode, db, log_dir, key_suffix=f"-m{index}"))

    driven: list[tuple[Future[ServerStart], Collector]] = []
    # Stopping waits for the server to exit (uvicorn waits for its tasks):
    # done in the background, while the next mode is driven.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stop") as stopper:
        try:
            start_ahead()
            while live:
                server = live[0]
                mode = server.record.name
                began = time.monotonic()
                record = server.await_ready()
                timings[f"start_{mode}"] = round(time.monotonic() - began, 2)  # the wait, not the start-up
                collector = Collector()
                if record.started:
                    began = time.monotonic()
                    collector = run_scenarios(server.base_url, config.stack.family, mode, log_dir)
                    timings[f"scenarios_{mode}"] = round(time.monotonic() - began, 2)
                driven.append((stopper.submit(live.popleft().stop), collector))
                start_ahead()
        finally:
            for server in live:
                server.stop()
    for stopped, collector in driven:
        server_entry = stopped.result().as_dict()
        server_entry["scenario_errors"] = collector.errors
        result["servers"].append(server_entry)
        cells = [cell.as_dict() for cell in collector.deliveries]
        result["deliveries"] += cells
        result["checks"] += collector.checks
        verdict = _server_verdict(server_entry, cells, collector.errors, expected_cells)
        if verdict:
            reasons.append(verdict)
    timings["start"] = round(sum(v for k, v in timings.items() if k.startswith("start_")), 2)
    timings["scenarios"] = round(sum(v for k, v in timings.items() if k.startswith("scenarios_")), 2)
    failed_checks = [c for c in result["checks"] if not c["ok"]]
    for check in failed_checks:
        reasons.append(f"{check['server']}: check {check['name']} failed: {check['detail']}")
    result["status"] = "fail" if reasons else "pass"
    result["reason"] = "; ".join(reasons) if reasons else ""
    if any(entry["harness_error"] for entry in result["servers"]):
        result["status"] = "error"  # no verdict on the stack: the harness failed itself


def default_work_root() -> Path:
    return Path(os.environ.get("HARNESS_WORK_ROOT", ROOT / ".harness"))
