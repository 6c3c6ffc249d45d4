"""``harness conformance``'s work: for each server of an env (one layer: conformance
belongs to the server), start it as ``harness run`` does, point wstest at its echo
endpoint, and write the judged summary.  A server whose key is cached is not run.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.conformance.cases import DEFAULT_CASES
from harness.conformance.keys import cache_key, key_facts, run_name, server_packages, server_version
from harness.conformance.summary import judge, load_cache, not_tested, store_cache, write_result
from harness.conformance.tool import TOOL, TOOL_VERSION, ToolMissing, ensure_wstest
from harness.conformance.wstest import WstestFailed, run_wstest, timeout_for
from harness.errors import HarnessError, InstallError, RedisUnavailable, SetupError
from harness.matrix.envs import EnvSpec
from harness.matrix.releases import join_mode
from harness.run.expectations import EnvFacts, Expectation
from harness.sut.config import ChatConfig, ChatOptions
from harness.sut.interpreters import find_interpreter
from harness.sut.prepare import PreparedSut, Progress, prepare, work_dir_lock
from harness.sut.server import ChatServer
from harness.sut.venv import SutEnv, build_sut_env

# Each stack's echo socket, as its users would configure one.  ws4redis echoes by
# publishing to a broadcast channel it also hears ("echo": even to the sender);
# heartbeats and persisted messages off (chatservers/ws4redis/chatserver/settings.py).
ECHO_PATHS = {"ws4redis": "/ws/echo?subscribe-broadcast&publish-broadcast&echo", "channels": "/ws/echo/"}
ECHO_ENVIRONMENT = {"ws4redis": {"CHAT_WS4REDIS_HEARTBEAT": "", "CHAT_WS4REDIS_EXPIRE": "0"}, "channels": {}}
PREFERRED_LAYER = "inmemory"  # the echo consumer uses no layer: the one with least moving parts


@dataclass(frozen=True)
class ConformanceOptions:
    results_dir: Path  # reports/results/conformance
    reports_dir: Path  # reports/conformance
    work_root: Path
    chat: ChatOptions
    expectations: tuple[Expectation, ...]
    servers: tuple[str, ...] = ()  # empty: every server of the env
    cases: str = DEFAULT_CASES
    patterns: tuple[str, ...] = ("1.*",)
    use_cache: bool = True


@dataclass
class Pending:
    """A server to run: its mode, the facts that key it, and its summary's base."""

    mode: str
    facts: dict[str, object]
    base: dict[str, Any]


def servers_of(spec: EnvSpec, wanted: Sequence[str]) -> list[tuple[str, str]]:
    """(server, mode) pairs: each selected server once, on one layer."""
    layers = spec.stack.layers
    layer = PREFERRED_LAYER if PREFERRED_LAYER in layers else (layers[0] if layers else "")
    chosen = [s for s in spec.stack.servers if not wanted or s in wanted]
    return [(server, join_mode(server, layer) if layer else server) for server in chosen]


def conformance_env(spec: EnvSpec, options: ConformanceOptions) -> list[dict[str, Any]]:
    """Summaries of each selected server of ``spec`` (written to the results folder)."""
    servers = servers_of(spec, options.servers)
    if not servers:
        return []
    try:
        sut = _sut(spec, options.work_root)
    except HarnessError as exc:
        return [
            _write(not_tested(_base(spec, s, m, {}, None, options), f"not tested: {exc}"), options) for s, m in servers
        ]
    pending, done = [], []
    for server, mode in servers:
        packages = server_packages(spec.stack.family, server, sut.packages)
        facts = key_facts(
            spec.stack.family, server, packages, sut.interpreter.version, spec.variant, list(options.patterns)
        )
        base = _base(spec, server, mode, packages, facts, options)
        cached = (
            load_cache(_cache_dir(options, facts), options.reports_dir / base["name"]) if options.use_cache else None
        )
        if cached is not None:
            cases, seconds = cached
            summary = judge(
                base | {"cached": True, "seconds": seconds}, cases, _env_facts(spec, sut), options.expectations
            )
            done.append(_write(summary, options))
        else:
            pending.append(Pending(mode, facts, base))
    if pending:
        done += _run_pending(spec, sut, pending, options)
    return done


def _sut(spec: EnvSpec, work_root: Path) -> SutEnv:
    """The env's SUT venv (the one ``harness run`` builds; reused when warm)."""
    interpreter = find_interpreter(spec.python_version)
    if interpreter is None:
        raise HarnessError(f"interpreter not available (python{spec.python_version} not found)")
    work_dir = work_root / spec.name
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with work_dir_lock(work_dir):
        return build_sut_env(work_dir / "venv", interpreter, spec.requirements(), log_dir)


def _run_pending(
    spec: EnvSpec, sut: SutEnv, pending: list[Pending], options: ConformanceOptions
) -> list[dict[str, Any]]:
    try:
        wstest = ensure_wstest(options.work_root)
        with prepare(spec, options.work_root, options.chat, Progress()) as prepared:
            echo_env = {**prepared.config.extra_environment, **ECHO_ENVIRONMENT[spec.stack.family]}
            config = dataclasses.replace(prepared.config, extra_environment=echo_env)
            log_dir = prepared.log_dir / "conformance"
            # The servers run side by side: most of a run is waiting on timeouts
            # (a case whose echo never comes waits out its own 60-480 s), not on the CPU.
            pool = ThreadPoolExecutor(max_workers=len(pending), thread_name_prefix=f"conformance-{spec.name}")
            try:
                futures = [pool.submit(_run_one, wstest, config, prepared, p, log_dir, options) for p in pending]
                return [_write(f.result(), options) for f in futures]
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
    except (ToolMissing, InstallError, SetupError, RedisUnavailable) as exc:
        return [_write(not_tested(p.base, f"not tested: {exc}"), options) for p in pending]


def _run_one(
    wstest: Path, config: ChatConfig, prepared: PreparedSut, item: Pending, log_dir: Path, options: ConformanceOptions
) -> dict[str, Any]:
    server = ChatServer(config, prepared.sut, item.mode, prepared.database_copy(f"conformance-{item.mode}"), log_dir)
    try:
        start = server.await_ready()
        if not start.started:
            return not_tested(item.base, f"not tested: the server did not start: {start.error}")
        url = server.base_url.replace("http://", "ws://", 1) + ECHO_PATHS[prepared.spec.stack.family]
        report_dir = options.reports_dir / item.base["name"]
        timeout = timeout_for(list(options.patterns))
        began = time.monotonic()
        try:
            run = run_wstest(wstest, url, list(options.patterns), report_dir, timeout)
        except WstestFailed as exc:
            return not_tested(item.base, f"not tested: {exc}")
        run.seconds = round(time.monotonic() - began, 1)
    finally:
        server.stop()
    if options.use_cache:
        store_cache(_cache_dir(options, item.facts), item.facts, run.cases, run.seconds, report_dir)
    base = item.base | {"cached": False, "seconds": run.seconds}
    return judge(base, run.cases, _env_facts(prepared.spec, prepared.sut), options.expectations)


def _base(
    spec: EnvSpec,
    server: str,
    mode: str,
    packages: dict[str, str],
    facts: dict[str, object] | None,
    options: ConformanceOptions,
) -> dict[str, Any]:
    family = spec.stack.family
    name = run_name(family, server, facts) if facts else f"{server}-{spec.name}"
    return {
        "kind": "conformance",
        "name": name,
        "env": spec.name,
        "family": family,
        "server": server,
        "mode": mode,
        "version": server_version(family, server, packages) if packages else "",
        "python": str(facts["python"]) if facts else spec.python_version,
        "variant": spec.variant,
        "packages": packages,
        "key": cache_key(facts) if facts else "",
        "key_facts": facts or {},
        "cases_selection": options.cases,
        "tool": f"{TOOL} {TOOL_VERSION}",
        "report_dir": f"conformance/{name}",
        "cached": False,
        "seconds": None,
    }


def _cache_dir(options: ConformanceOptions, facts: dict[str, object]) -> Path:
    return options.work_root / "conformance" / "cache" / cache_key(facts)


def _env_facts(spec: EnvSpec, sut: SutEnv) -> EnvFacts:
    django = sut.packages.get("Django", spec.django_version)
    return EnvFacts(sut.interpreter.version, django, spec.variant, sut.packages)


def _write(summary: dict[str, Any], options: ConformanceOptions) -> dict[str, Any]:
    write_result(summary, options.results_dir)
    return summary
