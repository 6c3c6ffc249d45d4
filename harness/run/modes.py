"""Drive an env's server modes: each mode's server started ahead of its turn, the
pytest scenarios run against it, its observations read, and a run repeated
when the verdict needs it (``--repeat``, or one re-run of an unexpected failure).

Scenarios run one server at a time, so verdicts never share a server; starting
ahead only hides the start-up wait.  Every run has its own database copy, port
and Redis key prefix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.browser.shared import close_shared, prestart
from harness.clients import DEAF_WARMUP, WARMUP_TIMEOUT
from harness.matrix.releases import split_mode
from harness.paths import SCENARIOS
from harness.run.delivery import CellSpec
from harness.run.idle import IDLE_SECONDS, IdleSockets
from harness.run.live import LiveSut
from harness.run.plugin import Collector
from harness.run.security import drop_prestarted, prestart_logout
from harness.run.sessions import (
    LONG_IDLE_SECONDS,
    HeldMode,
    Watch,
    deep_items,
    idle_sockets,
    open_deep_checks,
)
from harness.run.verdict import Observation
from harness.stacks.base import Stack
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


def _started(server: ServerGroup, opening: Future[IdleSockets | None] | None = None) -> bool:
    """Whether the server started, once its idle sockets (if any) have logged in."""
    if opening is not None:
        with contextlib.suppress(Exception):  # the idle check reports its own failure
            opening.result()
    return server.await_ready().started


@dataclass(frozen=True)
class ScenarioOptions:
    """What one run of the scenarios is told besides the server: which optional checks run."""

    deep: bool = False  # run tests marked ``deep``
    first_of_server: bool = True  # run tests marked ``per_server`` (layer-independent checks)
    urls: tuple[str, ...] = ()  # the mode's server processes, when it runs as several
    # "main": all but the checks marked late, which may break a server's other sockets
    # (uWSGI dies on a fragmented message): those run as "late", after the idle check.
    part: str = "all"
    deflate: bool = False  # the scripted clients offer permessage-deflate
    warmup: float = WARMUP_TIMEOUT  # DEAF_WARMUP where the mode's earlier session was deaf
    heavy: tuple[str, ...] = ()  # with deep: only these heavy checks (empty: all)

    def args(self) -> list[str]:
        flags = ["--chat-deep"] * self.deep + ["--chat-first-of-server"] * self.first_of_server
        urls = ["--chat-urls", ",".join(self.urls)] if len(self.urls) > 1 else []
        part = ["--chat-part", self.part] if self.part != "all" else []
        warmup = ["--chat-warmup", str(self.warmup)] if self.warmup != WARMUP_TIMEOUT else []
        heavy = ["--chat-heavy", ",".join(self.heavy)] if self.heavy else []
        return flags + urls + part + ["--chat-deflate"] * self.deflate + warmup + heavy


def first_modes_of_servers(modes: Sequence[str]) -> set[str]:
    """The first mode of each server: where checks that do not depend on the layer run."""
    firsts: dict[str, str] = {}
    for mode in modes:
        firsts.setdefault(split_mode(mode)[0], mode)
    return set(firsts.values())


def run_scenarios(
    base_url: str,
    family: str,
    server: str,
    junit_xml: Path,
    options: ScenarioOptions = ScenarioOptions(),
    server_log: Path | None = None,
    live: LiveSut | None = None,
) -> Collector:
    """Run the pytest scenarios in-process against a live server."""
    collector = Collector(server_log=server_log)
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
    if server_log is not None:
        args += ["--chat-server-log", str(server_log)]
    plugins: list[object] = [collector] if live is None else [collector, live]
    if pytest.main(args, plugins=plugins) == pytest.ExitCode.INTERRUPTED:
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
    server_checks: bool = True,
    servers_ahead: int = 2,
    processes: int = 1,
    idle_seconds: float = IDLE_SECONDS,
    deflate: bool = False,
    long_idle: Sequence[float] = LONG_IDLE_SECONDS,
    heavy: Sequence[str] = (),
) -> list[ModeRun]:
    """Each mode in turn (and again while ``run_again`` says so), the next ones already starting.

    ``deep`` adds the heavy checks; per-server checks run in the first mode of each
    server, or in every mode with ``every_mode``, or nowhere without ``server_checks``.

    A mode's idle sockets open as soon as its server is ready; the mode is judged (and
    its server stopped) once they have been quiet ``idle_seconds``, while later modes run.
    """
    config, family = prepared.config, prepared.spec.stack.family
    firsts = first_modes_of_servers(modes)
    waiting: deque[tuple[str, int]] = deque((mode, 0) for mode in modes)
    # each server ahead with its idle sockets, opening as soon as it is ready
    live: deque[tuple[ServerGroup, int, Future[IdleSockets | None] | None]] = deque()
    driven: list[HeldMode] = []
    serial = itertools.count()

    def start_ahead() -> None:
        while waiting and len(live) <= servers_ahead:
            mode, attempt = waiting.popleft()
            index = next(serial)
            db = prepared.database_copy(f"chat-{index}-{mode}")
            run_tag = "".join(f"-{part}" for part in (prepared.spec.suite, f"m{index}") if part)  # "-m3", "-deep-m3"
            server = ServerGroup(
                config, prepared.sut, mode, db, prepared.scratch_dir, run_tag, processes, keep_dir=prepared.log_dir
            )
            opening = None
            if idle_seconds > 0 and not deep:  # deep: opened after every mode's scenarios (sessions.py)
                opening = opener.submit(_open_when_ready, server, config.stack, idle_seconds)
            live.append((server, attempt, opening))
            # The logout check's 5 s quiet period starts once the server is up, not at its
            # turn; after the idle sockets' logins (a first login re-hashes a password).
            prestart_logout(early, server.base_url, family, functools.partial(_started, server, opening))

    runs: list[ModeRun] = []

    def options_for(server: ServerGroup) -> ScenarioOptions:
        first = server_checks and (every_mode or server.record.name in firsts)
        return ScenarioOptions(deep, first, tuple(server.base_urls), deflate=deflate, heavy=tuple(heavy))

    def finish(done: HeldMode, stopper: ThreadPoolExecutor) -> None:
        server, collector = done.server, done.collector
        if done.late is not None:
            collector.absorb(done.late())
        observations = observe(server.record, collector, cells)
        server.provoked = list(collector.provoked)
        runs.append(ModeRun(server.record.name, done.attempt, stopper.submit(server.stop), collector, observations))
        rerun_on = [o for o in observations if o.item not in deep_items(long_idle)]
        if run_again(server.record.name, done.attempt, rerun_on):
            waiting.appendleft((server.record.name, done.attempt + 1))

    # Stopping waits for the server to exit (uvicorn waits for its tasks):
    # done in the background, while the next mode is driven.
    with (
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="stop") as stopper,
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="idle") as opener,
        ThreadPoolExecutor(max_workers=servers_ahead + 1, thread_name_prefix="logout") as early,
    ):
        try:
            start_ahead()
            if server_checks:  # the real-browser check's Chromium starts with the servers, not in a mode's time
                prestart()
            while live or driven:
                if live:
                    server, attempt, opening = live[0]
                    driven.append(_drive(server, attempt, opening, family, prepared, timings, options_for(server)))
                    live.popleft()
                elif any(d.held for d in driven):  # deep: every mode's scenarios ran
                    open_deep_checks([d for d in driven if d.held], config.stack, idle_seconds, long_idle)
                elif driven:  # nothing left to drive: wait for the first checks to ripen (a dead peer may be early)
                    time.sleep(min(1.0, max(0.0, min(d.ready_at for d in driven) - time.monotonic())))
                for held in [d for d in driven if d.ready_at <= time.monotonic()]:
                    began = time.monotonic()
                    held.judge_ripe(began)
                    key = "idle" + _suffix(held.server.record.name, held.attempt)
                    timings[key] = round(timings.get(key, 0.0) + time.monotonic() - began, 2)
                    if held.judged:
                        driven.remove(held)
                        finish(held, stopper)
                start_ahead()
            stopper.submit(close_shared)  # beside the last server's stop (Chrome's orphans take init a while)
        finally:
            for done in driven:
                done.close()
                done.server.stop()
            for server, _, opening in live:
                server.stop()
                if opening is not None:
                    with contextlib.suppress(Exception):  # already failing: close what opened
                        if (sockets := opening.result(timeout=30)) is not None:
                            sockets.close()
                drop_prestarted(server.base_url)
    return runs


def _open_when_ready(server: ServerGroup, stack: Stack, seconds: float) -> IdleSockets | None:
    """A mode's idle sockets, opened as soon as its server is ready (while earlier modes are driven)."""
    if not server.await_ready().started:
        return None
    sockets = idle_sockets(server, stack, seconds)
    return sockets.open(server.base_url, sockets.log_in(server.base_url))


def _suffix(mode: str, attempt: int) -> str:
    return f"_{mode}" if attempt == 0 else f"_{mode}#{attempt + 1}"


def _drive(
    server: ServerGroup,
    attempt: int,
    opening: Future[IdleSockets | None] | None,
    family: str,
    prepared: PreparedSut,
    timings: dict[str, float],
    options: ScenarioOptions,
) -> HeldMode:
    """Wait for the server and its idle sockets (their logins come first: a first login
    re-hashes a fixture user's password, refusing sessions logged in meanwhile), then
    run the scenarios."""
    mode = server.record.name
    suffix = _suffix(mode, attempt)
    began = time.monotonic()
    record = server.await_ready()
    timings["start" + suffix] = round(time.monotonic() - began, 2)  # the wait, not the start-up
    if not record.started:
        drop_prestarted(server.base_url)
        return HeldMode(server, attempt, Collector())
    idle = opening.result() if opening is not None else None
    began = time.monotonic()
    junit_xml = prepared.log_dir / f"scenarios-{server.run_name}.xml"
    # Session checks on this server: the late checks (all per-server ones) run after them.
    waits = (idle is not None or options.deep) and options.first_of_server
    first = dataclasses.replace(options, part="main") if waits else options
    run_tag = server.run_name.removeprefix(mode)
    live = LiveSut(lambda: [one.process.pid for one in server.servers], prepared, mode, run_tag)
    collector = run_scenarios(server.base_url, family, mode, junit_xml, first, server.log_path, live)
    drop_prestarted(server.base_url)  # a logout watch its scenarios did not take
    timings["scenarios" + suffix] = round(time.monotonic() - began, 2)
    watches: list[Watch] = []
    if idle is not None:
        idle.server_quiet_since = time.monotonic()
        watches.append(idle)

    def late() -> Collector:
        began = time.monotonic()
        late_xml = junit_xml.with_name(f"scenarios-{server.run_name}-late.xml")
        warmup = DEAF_WARMUP if collector.deaf else WARMUP_TIMEOUT
        later_options = dataclasses.replace(options, part="late", warmup=warmup)
        later = run_scenarios(server.base_url, family, mode, late_xml, later_options, server.log_path)
        timings["scenarios" + suffix] = round(timings["scenarios" + suffix] + time.monotonic() - began, 2)
        return later

    return HeldMode(server, attempt, collector, watches, held=options.deep, late=late if waits else None)
