"""Drive an env's server modes: each mode's server started ahead of its turn, the
pytest scenarios run against it, its observations read, and a run repeated
when the verdict needs it (``--repeat``, or one re-run of an unexpected failure).

Scenarios run one server at a time, so verdicts never share a server; starting
ahead only hides the start-up wait.  Every run has its own database copy, port
and Redis key prefix.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.matrix.releases import split_mode
from harness.paths import SCENARIOS
from harness.run.delivery import CellSpec
from harness.run.plugin import Collector
from harness.run.verdict import Observation
from harness.sut.prepare import PreparedSut
from harness.sut.server import ServerStart
from harness.sut.spread import ServerGroup


@dataclass
class ModeRun:
    """One run of one server mode: its start record, what the scenarios saw, its observations."""

    mode: str
    attempt: int  # 0 for the first run of the mode
    stopped: Future[ServerStart]
    collector: Collector
    observations: list[Observation]


# Decides, from a finished run, whether its mode runs once more.
RunAgain = Callable[[str, int, list[Observation]], bool]


@dataclass(frozen=True)
class ScenarioOptions:
    """What one run of the scenarios is told besides the server: which optional checks run."""

    deep: bool = False  # run tests marked ``deep``
    first_of_server: bool = True  # run tests marked ``per_server`` (layer-independent checks)
    urls: tuple[str, ...] = ()  # the mode's server processes, when it runs as several

    def args(self) -> list[str]:
        urls = ["--chat-urls", ",".join(self.urls)] if len(self.urls) > 1 else []
        return ["--chat-deep"] * self.deep + ["--chat-first-of-server"] * self.first_of_server + urls


def first_modes_of_servers(modes: Sequence[str]) -> set[str]:
    """The first mode of each server: where checks that do not depend on the layer run."""
    firsts: dict[str, str] = {}
    for mode in modes:
        firsts.setdefault(split_mode(mode)[0], mode)
    return set(firsts.values())


def run_scenarios(
    base_url: str, family: str, server: str, junit_xml: Path, options: ScenarioOptions = ScenarioOptions()
) -> Collector:
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
        f"--junitxml={junit_xml}",
        *options.args(),
    ]
    if pytest.main(args, plugins=[collector]) == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt("scenarios interrupted")  # pytest swallows Ctrl-C; pass it on
    return collector


def observe(record: ServerStart, collector: Collector, cells: Sequence[CellSpec]) -> list[Observation]:
    """Every item of one run: the start, the scenarios, each expected cell, each check."""
    started = f"started in {record.startup_seconds} s" if record.started else ""
    observations = [Observation("start", record.started, record.error or started)]
    if not record.started:
        return observations
    observations.append(Observation("scenarios", not collector.errors, "; ".join(collector.errors[:1])))
    seen = {result.item: result for result in collector.deliveries}
    for spec in cells:
        result = seen.get(spec.item)
        if result is None:
            observations.append(Observation(spec.item, False, "not observed: its scenario did not run"))
        else:
            observations.append(Observation(spec.item, result.ok, result.detail))
    for check in collector.checks:
        observations.append(Observation(f"check:{check['name']}", bool(check["ok"]), str(check["detail"])))
    return observations


def drive_modes(
    prepared: PreparedSut,
    modes: Sequence[str],
    cells: Sequence[CellSpec],
    run_again: RunAgain,
    timings: dict[str, float],
    deep: bool = False,
    every_mode: bool = False,
    servers_ahead: int = 2,
    processes: int = 1,
) -> list[ModeRun]:
    """Each mode in turn (and again while ``run_again`` says so), the next ones already starting.

    ``deep`` adds the heavy checks; per-server checks run in the first mode of each
    server, or in every mode with ``every_mode``.
    """
    config, family = prepared.config, prepared.spec.stack.family
    firsts = first_modes_of_servers(modes)
    waiting: deque[tuple[str, int]] = deque((mode, 0) for mode in modes)
    live: deque[tuple[ServerGroup, int]] = deque()
    serial = itertools.count()

    def start_ahead() -> None:
        while waiting and len(live) <= servers_ahead:
            mode, attempt = waiting.popleft()
            index = next(serial)
            db = prepared.database_copy(f"chat-{index}-{mode}")
            run_tag = "".join(f"-{part}" for part in (prepared.spec.suite, f"m{index}") if part)  # "-m3", "-deep-m3"
            server = ServerGroup(config, prepared.sut, mode, db, prepared.log_dir, run_tag, processes)
            live.append((server, attempt))

    runs: list[ModeRun] = []
    # Stopping waits for the server to exit (uvicorn waits for its tasks):
    # done in the background, while the next mode is driven.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stop") as stopper:
        try:
            start_ahead()
            while live:
                server, attempt = live[0]
                mode = server.record.name
                suffix = f"_{mode}" if attempt == 0 else f"_{mode}#{attempt + 1}"
                began = time.monotonic()
                record = server.await_ready()
                timings["start" + suffix] = round(time.monotonic() - began, 2)  # the wait, not the start-up
                collector = Collector()
                if record.started:
                    began = time.monotonic()
                    scenario_options = ScenarioOptions(deep, every_mode or mode in firsts, tuple(server.base_urls))
                    junit_xml = prepared.log_dir / f"scenarios-{server.run_name}.xml"
                    collector = run_scenarios(server.base_url, family, mode, junit_xml, scenario_options)
                    timings["scenarios" + suffix] = round(time.monotonic() - began, 2)
                observations = observe(record, collector, cells)
                live.popleft()
                runs.append(ModeRun(mode, attempt, stopper.submit(server.stop), collector, observations))
                if run_again(mode, attempt, observations):
                    waiting.appendleft((mode, attempt + 1))
                start_ahead()
        finally:
            for server, _ in live:
                server.stop()
    return runs
