"""Run one env end to end: prepare the SUT (harness.sut.prepare), drive each
server mode with the pytest scenarios, and write the results file.

Whatever happens (install error, crash at start, Ctrl-C) the results file is
written and every child process is stopped.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.errors import InstallError, InterpreterMissing, RedisUnavailable, SetupError
from harness.matrix.envs import EnvSpec
from harness.paths import SCENARIOS
from harness.results.files import save
from harness.results.schema import new_result, timestamp
from harness.run.delivery import delivery_cells
from harness.run.plugin import Collector
from harness.run.verdict import env_verdict, server_verdict
from harness.sut.config import ChatOptions
from harness.sut.prepare import PreparedSut, Progress, prepare
from harness.sut.procs import stop_all
from harness.sut.server import ChatServer, ServerStart


@dataclass(frozen=True)
class RunOptions:
    results_dir: Path
    work_root: Path
    chat: ChatOptions = ChatOptions()
    servers: tuple[str, ...] = ()  # empty: every server mode of the env
    servers_ahead: int = 2  # server modes starting while one is driven


def run_scenarios(base_url: str, family: str, server: str, log_dir: Path) -> Collector:
    """Run the pytest scenarios in-process against a live server."""
    collector = Collector()
    args = [
        str(SCENARIOS),
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(SCENARIOS),
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


def run_env(spec: EnvSpec, options: RunOptions) -> dict[str, Any]:
    result = new_result(spec.name, spec.python_version, spec.django_version, spec.stack.package, spec.stack.version)
    result["variant"] = spec.variant  # "" for the default
    result["started_at"] = timestamp()
    progress = Progress()
    try:
        with prepare(spec, options.work_root, options.chat, progress) as prepared:
            _run_servers(prepared, options, result)
    except InterpreterMissing as exc:
        result["status"], result["reason"] = "not-tested", str(exc)
    except InstallError as exc:
        result["status"], result["reason"] = "fail", f"install failed: {exc.key_line}"
    except SetupError as exc:
        result["status"], result["reason"] = "fail", str(exc)
    except RedisUnavailable as exc:
        result["status"], result["reason"] = "error", f"redis: {exc}"
    except KeyboardInterrupt:
        result["status"], result["reason"] = "error", "interrupted (Ctrl-C)"
        raise
    except Exception as exc:  # a harness bug must still leave a results file
        result["status"], result["reason"] = "error", f"harness error: {type(exc).__name__}: {exc}"
    finally:
        stop_all()
        _record_preparation(result, progress, options)
        result["finished_at"] = timestamp()
        save(result, options.results_dir)
    return result


def _record_preparation(result: dict[str, Any], progress: Progress, options: RunOptions) -> None:
    """What preparation found, however far it got."""
    timings: dict[str, float] = result["timings"]
    if progress.install_seconds is not None:
        timings["install"] = progress.install_seconds
        result["python"] = progress.python
    if progress.sut is not None:
        packages = progress.sut.packages
        result["django"] = packages.get("Django", result["django"])
        result["stack"]["version"] = packages.get(result["stack"]["name"], result["stack"]["version"])
        result["stack"]["packages"] = packages
        result["venv_reused"] = progress.sut.reused
        result["fast_password_hasher"] = options.chat.fast_password_hasher
    if progress.redis is not None:
        result["redis"] = progress.redis.as_result()
    if progress.migrate_seconds is not None:
        timings["migrate"] = progress.migrate_seconds
        result["database_reused"] = progress.database_reused


def _run_servers(prepared: PreparedSut, options: RunOptions, result: dict[str, Any]) -> None:
    """Each server mode in turn, the next ones already starting while one is driven.

    Scenarios run one mode at a time, so their verdicts never share a server;
    starting ahead only hides the start-up wait.  Each mode has its own
    database copy, port and Redis key prefix.
    """
    timings: dict[str, float] = result["timings"]
    config, family = prepared.config, prepared.spec.stack.family
    expected_cells = len(delivery_cells(config.stack.protocol("count").publish_paths))
    waiting = deque(enumerate(prepared.spec.select_modes(options.servers)))
    live: deque[ChatServer] = deque()

    def start_ahead() -> None:
        while waiting and len(live) <= options.servers_ahead:
            index, mode = waiting.popleft()
            db = prepared.database_copy(f"chat-{mode}")
            live.append(ChatServer(config, prepared.sut, mode, db, prepared.log_dir, key_suffix=f"-m{index}"))

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
                    collector = run_scenarios(server.base_url, family, mode, prepared.log_dir)
                    timings[f"scenarios_{mode}"] = round(time.monotonic() - began, 2)
                driven.append((stopper.submit(live.popleft().stop), collector))
                start_ahead()
        finally:
            for server in live:
                server.stop()
    reasons: list[str] = []
    for stopped, collector in driven:
        server_entry = stopped.result().as_dict()
        server_entry["scenario_errors"] = collector.errors
        result["servers"].append(server_entry)
        cells = [cell.as_dict() for cell in collector.deliveries]
        result["deliveries"] += cells
        result["checks"] += collector.checks
        reason = server_verdict(server_entry, cells, collector.errors, expected_cells)
        if reason:
            reasons.append(reason)
    timings["start"] = round(sum(v for k, v in timings.items() if k.startswith("start_")), 2)
    timings["scenarios"] = round(sum(v for k, v in timings.items() if k.startswith("scenarios_")), 2)
    result["status"], result["reason"] = env_verdict(result, reasons)
