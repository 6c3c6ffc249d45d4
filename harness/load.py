"""Serve a chat server for Locust, or run Locust against it and keep its figures.

``serve``: the env's SUT venv, a private Redis, a database with the fixture
users plus N generated load users, one server mode; prints its URL and the
Locust command, and waits (bounded) for Ctrl-C.

``load``: the same, then Locust headless (one process, or a master and N
workers on loopback) for a bounded time while the generator's CPU is sampled;
Locust's JSON, CSV and HTML land in ``reports/load/<env>--<server>/`` (written
to a temporary folder, then renamed) and the figures in
``reports/load/<env>--<server>.json`` (atomic), which ``harness report`` reads.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import cpu, loadstats
from harness.chatserver import ChatConfig, SetupError, fresh_copy, prepare_database, running_server
from harness.clients import PASSWORD
from harness.interpreters import find_interpreter
from harness.loadconfig import DEFAULT_MIX, ServeManifest
from harness.loadusers import DEFAULT_GROUP_SIZE, LoadPopulation, add_load_users
from harness.matrix import EnvSpec
from harness.ports import LOOPBACK, free_port
from harness.procs import ManagedProcess, stop_all
from harness.redis_server import RedisUnavailable, private_redis
from harness.results import write_atomic
from harness.stacks import stack_for
from harness.stacks.base import ROOT
from harness.sutenv import InstallError, build_sut_env

LOAD_SCHEMA = 1
LOCUSTFILE = ROOT / "locustfile.py"
CAPACITY_SHAPE = ROOT / "locustfile_capacity.py"
LOCUST_START_GRACE = 60.0  # imports, workers connecting
LOCUST_END_GRACE = 60.0  # drain, final reports, file writing
RUN_TIME = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?$")


class LoadError(Exception):
    """The env could not be prepared or Locust did not produce figures."""


def parse_run_time(text: str) -> int:
    """Locust's run-time syntax ("30s", "2m", "1h30m", "45") in seconds."""
    match = RUN_TIME.match(text.strip())
    if not text.strip() or not match or not any(match.groupdict().values()):
        raise ValueError(f"bad run time {text!r}: use e.g. 30s, 2m or 1h30m")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    if seconds <= 0:
        raise ValueError(f"bad run time {text!r}: must be more than 0 s")
    return seconds


@dataclass(frozen=True)
class Capacity:
    step_users: int = 10
    step_seconds: float = 15.0
    max_users: int = 200
    p99_limit_ms: float = 250.0

    @property
    def seconds(self) -> float:
        return (self.max_users // self.step_users) * self.step_seconds


@dataclass(frozen=True)
class LoadOptions:
    users: int = 50
    spawn_rate: float = 10.0
    run_time: str = "30s"
    workers: int = 0
    message_rate: float = 1.0
    mix: str = DEFAULT_MIX
    message_bytes: int = 128
    loss_timeout: float = 5.0
    load_users: int = 0  # 0: as many as Locust users (or capacity's max users)
    group_size: int = DEFAULT_GROUP_SIZE
    publish_path: str = "auto"
    capacity: Capacity | None = None
    settings_module: str = "chatserver.settings"
    extra_pythonpath: tuple[Path, ...] = ()
    fast_password_hasher: bool = True  # see chatservers/fast_login

    @property
    def run_seconds(self) -> float:
        return self.capacity.seconds + self.capacity.step_seconds if self.capacity else parse_run_time(self.run_time)

    @property
    def population(self) -> LoadPopulation:
        wanted = self.load_users or (self.capacity.max_users if self.capacity else self.users)
        return LoadPopulation(wanted, self.group_size)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("capacity", "extra_pythonpath")}
        out["load_users"] = self.population.count
        out["capacity"] = self.capacity.__dict__ if self.capacity else None
        return out


@dataclass
class Prepared:
    """A SUT venv, a Redis, and a template database with the load users."""

    spec: EnvSpec
    config: ChatConfig
    sut: Any
    template_db: Path
    work_dir: Path
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "logs"


@contextmanager
def prepared_env(spec: EnvSpec, work_root: Path, options: LoadOptions) -> Iterator[Prepared]:
    interpreter = find_interpreter(spec.python_version)
    if interpreter is None:
        raise LoadError(f"not tested: interpreter not available (python{spec.python_version} not found)")
    work_dir = work_root / spec.name
    log_dir = work_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    try:
        sut = build_sut_env(work_dir / "venv", interpreter, spec.requirements(), log_dir)
    except InstallError as exc:
        raise LoadError(f"install failed: {exc.key_line}") from exc
    stack = stack_for(spec.stack.family)
    try:
        with private_redis(work_dir) as redis_endpoint:
            config = ChatConfig(
                stack,
                options.settings_module,
                redis_endpoint,
                key_prefix=f"load-{spec.name}-{secrets.token_hex(3)}",
                extra_pythonpath=options.extra_pythonpath,
                fast_password_hasher=options.fast_password_hasher,
                bytecode_dir=work_dir / "bytecode",
            )
            template_db = work_dir / "load-template.sqlite3"
            try:
                prepare_database(config, sut, template_db, log_dir)  # never reused: load users go in next
                add_load_users(config, sut, template_db, options.population, log_dir, PASSWORD)
            except SetupError as exc:
                raise LoadError(str(exc)) from exc
            facts = {
                "python": interpreter.version,
                "django": sut.packages.get("Django", spec.django_version),
                "stack": {
                    "name": spec.stack.package,
                    "version": sut.packages.get(spec.stack.package, spec.stack.version),
                },
                "redis": redis_endpoint.as_result(),
            }
            yield Prepared(spec, config, sut, template_db, work_dir, facts)
    except RedisUnavailable as exc:
        raise LoadError(f"redis: {exc}") from exc
    finally:
        stop_all()


@contextmanager
def served(prepared: Prepared, server: str) -> Iterator[str]:
    """One server mode running on a copy of the template database; yields its URL."""
    db = fresh_copy(prepared.template_db, prepared.work_dir / f"load-{server}.sqlite3")
    with running_server(prepared.config, prepared.sut, server, db, prepared.log_dir) as (record, base_url):
        if not record.started:
            raise LoadError(f"{server}: web server does not work: {record.error}")
        yield base_url


def locust_options(family: str, options: LoadOptions) -> list[str]:
    """The harness's options of the locustfile (see harness/loadconfig.py)."""
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
    if options.capacity:
        cap = options.capacity
        out += ["--step-users", str(cap.step_users), "--step-seconds", str(cap.step_seconds)]
        out += ["--max-users", str(cap.max_users), "--p99-limit-ms", str(cap.p99_limit_ms)]
    return out


def locust_commands(base_url: str, family: str, options: LoadOptions, out_dir: Path) -> list[list[str]]:
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
        *locust_options(family, options),
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


def run_locust(base_url: str, family: str, options: LoadOptions, out_dir: Path, log_dir: Path) -> dict[str, Any]:
    """Run Locust to its end (bounded) and sample its CPU; returns how it went."""
    commands = locust_commands(base_url, family, options, out_dir)
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


def _locust_version() -> str:
    # Never import locust in the driver: it monkey-patches the standard library with gevent.
    try:
        return importlib.metadata.version("locust")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def run_key(env: str, server: str) -> str:
    return f"{env}--{server.replace('+', '-')}"


def load_env_server(
    prepared: Prepared, server: str, options: LoadOptions, load_dir: Path, command: str = ""
) -> dict[str, Any]:
    """One env and server under load; writes and returns its figures."""
    spec = prepared.spec
    key = run_key(spec.name, server)
    load_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=load_dir))
    summary: dict[str, Any] = {
        "schema": LOAD_SCHEMA,
        "env": spec.name,
        "server": server,
        **prepared.facts,
        "options": options.as_dict(),
        "command": command,
        "locust_version": _locust_version(),
        "started_at": _now(),
        "status": "error",
        "reason": "",
    }
    try:
        with served(prepared, server) as base_url:
            outcome = run_locust(base_url, spec.stack.family, options, tmp, prepared.log_dir)
        summary["generator"] = outcome.pop("generator")
        summary["locust"] = outcome
        if outcome["timed_out"]:
            raise LoadError(f"Locust did not end within its bound: {outcome['log_tail'][-300:]}")
        entries = loadstats.read_entries(tmp / "locust.json")
        summary.update(loadstats.summarize(entries))
        summary["timeline"] = loadstats.timeline(entries, tmp / "locust_stats_history.csv")
        capacity_file = tmp / "capacity.json"
        if options.capacity:
            summary["capacity"] = json.loads(capacity_file.read_text()) if capacity_file.exists() else None
        summary["status"] = "ok"
    except (LoadError, loadstats.BadLoadStats) as exc:
        summary["reason"] = str(exc)
    finally:
        summary["finished_at"] = _now()
        final = load_dir / key
        shutil.rmtree(final, ignore_errors=True)
        tmp.rename(final)
        summary["files"] = {
            name: f"load/{key}/{name}"
            for name in ("locust.html", "locust.json", "locust_stats.csv", "locust_stats_history.csv")
            if (final / name).exists()
        }
        write_atomic(load_dir / f"{key}.json", json.dumps(summary, indent=2) + "\n")
    return summary


def serve(spec: EnvSpec, server: str, options: LoadOptions, work_root: Path, max_seconds: float) -> None:
    """Serve until Ctrl-C or ``max_seconds``; prints the URL and the Locust command."""
    with prepared_env(spec, work_root, options) as prepared, served(prepared, server) as base_url:
        population = options.population
        family = spec.stack.family
        path = ServeManifest(base_url, spec.name, server, family, population.count, population.group_size).write()
        try:
            print(f"{spec.name} on {server}: {base_url}", flush=True)
            print(
                f"{population.count} load users ({population.users[0]}..{population.users[-1]}, password "
                f"{PASSWORD!r}) in {population.group_count} groups; manifest {path}",
                flush=True,
            )
            print(f"locust -f locustfile.py --host {base_url} --web-host 127.0.0.1", flush=True)
            print(f"(stops by itself after {max_seconds:.0f} s; Ctrl-C to stop now)", flush=True)
            time.sleep(max_seconds)
        finally:
            path.unlink(missing_ok=True)
