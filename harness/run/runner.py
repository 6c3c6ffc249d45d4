"""Run one env end to end: prepare the SUT (harness.sut.prepare), drive each
server mode (harness.run.modes), judge every item against the expected
outcomes (harness.run.verdict), and write the results file.

Whatever happens (install error, crash at start, Ctrl-C) the results file is
written and every child process is stopped.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InstallError, InterpreterMissing, RedisUnavailable, SetupError
from harness.matrix.depth import column_row, runs_server_checks
from harness.matrix.envs import EnvSpec, Version
from harness.results.files import save
from harness.results.schema import ModeVerdict, new_result, timestamp
from harness.run.axis import stack_axis
from harness.run.delivery import cell_item, delivery_cells
from harness.run.expectations import LOG_ITEM, EnvFacts, Expectation
from harness.run.idle import IDLE_CHECK, IDLE_SECONDS
from harness.run.modes import ModeRun, drive_modes
from harness.run.per_server import per_server_items
from harness.run.placement import cross_process_finding
from harness.run.sessions import HEAVY_CHECKS, LONG_IDLE_SECONDS, deep_items
from harness.run.verdict import Observation, judge_mode, needs_rerun, unexpected_lines, worst
from harness.sut.config import ChatOptions
from harness.sut.interpreters import find_interpreter
from harness.sut.prepare import PreparedSut, Progress, prepare
from harness.sut.procs import stop_all
from harness.sut.spread import processes_for


@dataclass(frozen=True)
class RunOptions:
    results_dir: Path
    work_root: Path
    chat: ChatOptions = ChatOptions()
    servers: tuple[str, ...] = ()  # empty: every server mode of the env
    servers_ahead: int = 2  # server modes starting while one is driven
    expectations: tuple[Expectation, ...] = ()
    repeat: int = 1  # runs of every mode
    reruns: int = 1  # extra runs of a mode with an unexpected failure
    idle_seconds: float = IDLE_SECONDS  # quiet time of the idle check (0: off)
    long_idle: tuple[float, ...] = LONG_IDLE_SECONDS  # deep: the long idle checks' quiet times (empty: none)
    heavy: tuple[str, ...] = ()  # deep: only these heavy checks (empty: all of them)
    deep: bool = False  # the heavy checks too (or the env's suite says so)
    every_mode: bool = False  # per-server checks in every mode (or the env's suite says so)
    server_checks: bool = False  # per-server checks even in a row that leaves them to its column's (depth.py)
    processes: int = 1  # server processes per mode, each on its own port (dev servers stay single)
    deflate: bool = False  # scripted clients offer permessage-deflate (or the env's suite says so)


@dataclass(frozen=True)
class ChecksWanted:
    """Which optional scenario checks a run includes: the flags, or the env's suite."""

    deep: bool = False
    every_mode: bool = False
    deflate: bool = False
    server_checks: bool = True  # the per-server checks, in the first mode of each server (or every mode)


def checks_wanted(spec: EnvSpec, options: RunOptions) -> ChecksWanted:
    suite = spec.suite_spec
    return ChecksWanted(
        deep=options.deep or suite.deep,
        every_mode=options.every_mode or suite.every_mode,
        deflate=options.deflate or suite.deflate,
        server_checks=options.server_checks or options.every_mode or runs_server_checks(spec, _interpreter_here),
    )


@functools.cache  # each probe runs the interpreter; a run asks for a column's Pythons more than once
def _interpreter_here(python: Version) -> bool:
    return find_interpreter(".".join(map(str, python))) is not None


def run_env(spec: EnvSpec, options: RunOptions) -> dict[str, Any]:
    result = new_result(spec.name, spec.python_version, spec.django_version, spec.stack.package, spec.stack_version)
    result["variant"] = spec.variant  # "" for the default
    result.update(stack_axis(spec))  # the release line, the pick, the lock, overrides
    wanted = checks_wanted(spec, options)
    result["suite"], result["deep"], result["every_mode"] = spec.suite, wanted.deep, wanted.every_mode
    result["deflate"] = wanted.deflate
    result["server_checks"] = wanted.server_checks
    result["server_checks_row"] = "" if wanted.server_checks else column_row(spec, _interpreter_here)
    result["started_at"] = timestamp()
    if options.processes > 1:
        result["processes"] = options.processes
    progress = Progress()
    failed_setup: list[Observation] = []  # judged once preparation's facts are recorded
    try:
        with prepare(spec, options.work_root, options.chat, progress) as prepared:
            _record_preparation(result, progress, options)  # the modes' verdicts select on these facts
            _run_modes(prepared, options, result)
    except InterpreterMissing as exc:
        result["status"], result["as_expected"], result["reason"] = "not-tested", True, str(exc)
    except InstallError as exc:
        failed_setup = [Observation("install", False, f"install failed: {exc.key_line}")]
    except SetupError as exc:
        failed_setup = [Observation("install", True, ""), Observation("migrate", False, str(exc))]
    except RedisUnavailable as exc:
        _harness_error(result, f"redis: {exc}")
    except KeyboardInterrupt:
        _harness_error(result, "interrupted (Ctrl-C)")
        raise
    except Exception as exc:  # a harness bug must still leave a results file
        _harness_error(result, f"harness error: {type(exc).__name__}: {exc}")
    finally:
        try:
            stop_all()  # a signal that came meanwhile is raised here: the results are still written
        finally:
            _record_preparation(result, progress, options)
            if failed_setup:
                _judge_setup(result, options, failed_setup)
            result["finished_at"] = timestamp()
            save(result, options.results_dir)
    return result


def _harness_error(result: dict[str, Any], reason: str) -> None:
    result["status"], result["as_expected"], result["reason"] = "error", False, reason
    result["unexpected"] = [f"{result['env']}: {reason}"]


def _facts(result: dict[str, Any]) -> EnvFacts:
    """What expectations select on; the stack is its release under test even when it did not install."""
    stack = result["stack"]
    packages = {stack["name"]: stack["version"], **stack["packages"]}
    overrides = tuple(o["package"] for o in result.get("overrides", []))
    facts = EnvFacts(result["python"], result["django"], result.get("variant", ""), packages)
    return dataclasses.replace(facts, processes=result.get("processes", 1), overrides=overrides)


def _judge_setup(result: dict[str, Any], options: RunOptions, setup: list[Observation]) -> None:
    """An env that stopped at install or migrate: its verdict is the setup's."""
    failed = next(o for o in setup if not o.ok)
    verdict = judge_mode("", [setup], _facts(result), options.expectations, failed.detail)
    _store_verdicts(result, options, verdict, [], {"": setup})


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


def _run_modes(prepared: PreparedSut, options: RunOptions, result: dict[str, Any]) -> None:
    timings: dict[str, float] = result["timings"]
    cells = delivery_cells(prepared.config.stack.protocol("count").publish_paths)
    facts = _facts(result)

    def run_again(mode: str, attempt: int, observations: list[Observation]) -> bool:
        if options.repeat > 1:  # N runs asked for: they are the evidence, no re-run on top
            return attempt + 1 < options.repeat
        return attempt < options.reruns and needs_rerun(observations, facts, mode, options.expectations)

    modes = prepared.spec.select_modes(options.servers)
    wanted = checks_wanted(prepared.spec, options)
    runs = drive_modes(
        prepared,
        modes,
        cells,
        run_again,
        timings,
        deep=wanted.deep,
        every_mode=wanted.every_mode,
        server_checks=wanted.server_checks,
        servers_ahead=options.servers_ahead,
        processes=options.processes,
        idle_seconds=options.idle_seconds,
        deflate=wanted.deflate,
        long_idle=options.long_idle,
        heavy=options.heavy,
    )
    verdicts = []
    setup = [Observation("install", True, ""), Observation("migrate", True, "")]
    observed: dict[str, list[Observation]] = {"": setup}
    for mode in modes:
        mode_runs = [run for run in runs if run.mode == mode]
        entries = [_record_run(result, run) for run in mode_runs]
        first_failing = next((e for e in entries if e["reason"]), entries[0])
        harness_error = next((e["error"] for e in entries if e["harness_error"]), None)
        verdicts.append(
            judge_mode(
                mode,
                [run.observations for run in mode_runs],
                facts,
                options.expectations,
                first_failing["reason"],
                harness_error,
            )
        )
        observed[mode] = [o for run in mode_runs for o in run.observations]
    if options.processes > 1:
        spread = [d for d in result["deliveries"] if processes_for(d["server"], options.processes) > 1]
        result["cross_process"] = cross_process_finding(spread, options.processes)  # dev servers ran single
    for phase in ("start", "scenarios", "idle"):
        timings[phase] = round(sum(v for k, v in timings.items() if k.startswith(phase + "_")), 2)
    setup_verdict = judge_mode("", [setup], facts, options.expectations, "")
    _store_verdicts(result, options, setup_verdict, verdicts, observed)


def _record_run(result: dict[str, Any], run: ModeRun) -> dict[str, Any]:
    """Add one run's server entry, cells and checks to the results; returns the server entry."""
    entry: dict[str, Any] = run.stopped.result().as_dict()
    entry["run"] = run.attempt
    entry["scenario_errors"] = run.collector.errors
    entry.update(run.collector.facts)
    cells = [cell.as_dict() | {"run": run.attempt} for cell in run.collector.deliveries]
    checks = [check | {"run": run.attempt} for check in run.collector.checks]
    if entry["started"]:  # a server that never started: its log is the start's own detail
        run.observations.extend(log_observations(entry["log_findings"]))
    entry["reason"] = mode_reason(entry, cells, checks, run.observations)
    result["servers"].append(entry)
    result["deliveries"] += cells
    result["checks"] += checks
    return entry


def mode_reason(
    server: dict[str, Any], cells: list[dict[str, Any]], checks: list[dict[str, Any]], observations: list[Observation]
) -> str:
    """The first thing that went wrong in one run of a mode ("" when nothing did)."""
    name = server["name"]
    if not server["started"]:
        return f"{name}: web server does not work: {server['error']}"
    reasons = []
    if server["scenario_errors"]:
        reasons.append(f"{name}: scenarios broke: {server['scenario_errors'][0]}")
    observed = {cell_item(c["path"], c["kind"], c["sender"], c["target"]) for c in cells}
    missing = [o for o in observations if o.item.startswith("cell:") and o.item not in observed]
    bad = [c for c in cells if not c["ok"]]
    total = len(cells) + len(missing)
    if missing and not reasons:
        reasons.append(f"{name}: {len(cells)} of {total} delivery cells were observed")
    elif bad:
        first = bad[0]
        reasons.append(
            f"{name}: {len(bad)}/{len(cells)} delivery cells failed, first "
            f"{first['kind']} {first['sender']}->{first['target']}: {first['detail']}"
        )
    if reasons and server["exceptions"]:
        reasons[0] += f" (server logged {server['exceptions'][0]})"
    reasons += [f"{name}: check {c['name']} failed: {c['detail']}" for c in checks if not c["ok"]]
    logged = [f for f in server.get("log_findings", []) if f["phase"] == "run"]
    if logged:
        reasons.append(f"{name}: server logged {_logged(logged[0])}")
    return "; ".join(reasons)


def _logged(finding: dict[str, Any]) -> str:
    where = f" at {finding['where']}" if finding["where"] else ""
    return f"{finding['count']}× {finding['last_line']}{where}"


def log_observations(findings: Sequence[dict[str, Any]]) -> list[Observation]:
    """One failed item per exception the server logged during the run, unprovoked (DECISIONS 4)."""
    return [Observation(LOG_ITEM + f["exception"], False, _logged(f)) for f in findings if f["phase"] == "run"]


def _store_verdicts(
    result: dict[str, Any],
    options: RunOptions,
    setup: ModeVerdict,
    modes: Sequence[ModeVerdict],
    observed: dict[str, list[Observation]],
) -> None:
    everything = [setup, *modes]
    result["setup"] = setup.as_dict()
    result["modes"] = [mode.as_dict() for mode in modes]
    result["status"] = worst([v.outcome for v in everything])
    result["as_expected"] = all(v.as_expected for v in everything)
    # What was not expected comes first: it is what the reader must act on.
    ordered = sorted(everything, key=lambda v: v.as_expected)
    result["reason"] = "; ".join(v.reason for v in ordered if v.reason)
    result["unexpected"] = unexpected_lines(result["env"], everything)
    # Without --deep none of the deep checks ran; with it but no long idle, not the session ones.
    if not result["deep"]:
        not_run = list(deep_items())
    else:  # the long session checks without --long-idle, the heavy ones not picked by --heavy
        not_run = [] if options.long_idle else list(deep_items(heavy=()))
        not_run += [f"check:{name}" for name in HEAVY_CHECKS if options.heavy and name not in options.heavy]
    if options.idle_seconds <= 0:
        not_run.append(f"check:{IDLE_CHECK}")
    if not result["server_checks"]:  # left to the column's row (harness/matrix/depth.py)
        not_run += per_server_items()
    result["stale"] = stale_expectations(_facts(result), options.expectations, observed, not_run)


def stale_expectations(
    facts: EnvFacts,
    expectations: Sequence[Expectation],
    observed: dict[str, list[Observation]],
    not_run: Sequence[str] = (),
) -> list[str]:
    """Entries that select this env and a mode that ran, yet name none of its items.

    An entry that names only items this run left out (``not_run``: the deep checks
    without --deep) is not stale: it had nothing to judge.  Nor is a flaky entry that
    names only logged exceptions: a run without the line is one where it did not flake.
    """
    stale = []
    for entry in expectations:
        if entry.conformance_only or not entry.applies_to_env(facts):
            continue
        if entry.outcome == "flaky" and entry.exceptions and not entry.items:
            continue
        if entry.items and all(any(fnmatch.fnmatchcase(i, p) for i in not_run) for p in entry.items):
            continue
        judged = [
            items
            for mode, items in observed.items()
            if entry.applies_to_mode(mode) and any(o.item != "start" for o in items)
        ]
        if judged and not any(entry.names_item(o.item) for items in judged for o in items):
            stale.append(entry.id)
    return stale
