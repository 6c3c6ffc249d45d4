"""Load runs: serve a prepared env for Locust's web UI, or run Locust against it
and keep its figures.

``serve``: the env's SUT (``harness.sut.prepare``) with N generated load users
added to this run's copy of the database, one server mode; prints its URL and
the Locust command, and waits (bounded) for Ctrl-C.

``load``: the same, then Locust headless for a bounded time; Locust's JSON, CSV
and HTML land in ``reports/load/<env>--<server>/`` (written to a temporary
folder, then renamed) and the figures in ``reports/load/<env>--<server>.json``
(atomic), which ``harness report`` reads.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InstallError, InterpreterMissing, LoadError, RedisUnavailable, SetupError
from harness.fixtures import PASSWORD
from harness.load import stats
from harness.load.ceiling import headroom, read_ceiling
from harness.load.locust import locust_version, run_locust
from harness.load.options import LoadOptions
from harness.load.population import add_load_users
from harness.matrix.envs import EnvSpec
from harness.results.files import write_atomic
from harness.results.schema import LOAD_SCHEMA, timestamp
from harness.sut.prepare import PreparedSut, Progress, prepare
from harness.sut.spread import ServerGroup, processes_for


@dataclass(frozen=True)
class LoadEnv:
    """A prepared SUT whose database copy holds the load users."""

    prepared: PreparedSut
    database: Path
    facts: dict[str, Any]


@contextmanager
def load_env(spec: EnvSpec, work_root: Path, options: LoadOptions) -> Iterator[LoadEnv]:
    """The env prepared for load; every preparation error is a one-line ``LoadError``."""
    progress = Progress()
    try:
        with prepare(spec, work_root, options.chat, progress) as prepared:
            database = prepared.database_copy("load-template")
            add_load_users(prepared.config, prepared.sut, database, options.population, prepared.log_dir, PASSWORD)
            facts = {
                "python": prepared.sut.interpreter.version,
                "django": prepared.sut.packages.get("Django", spec.django_version),
                "stack": {
                    "name": spec.stack.package,
                    "version": prepared.sut.packages.get(spec.stack.package, spec.stack.version),
                },
                "redis": prepared.config.redis.as_result(),
            }
            yield LoadEnv(prepared, database, facts)
    except InstallError as exc:
        raise LoadError(f"install failed: {exc.key_line}") from exc
    except RedisUnavailable as exc:
        raise LoadError(f"redis: {exc}") from exc
    except (SetupError, InterpreterMissing) as exc:
        raise LoadError(str(exc)) from exc


@contextmanager
def served(env: LoadEnv, server: str, processes: int = 1) -> Iterator[list[str]]:
    """One server mode (as ``processes`` processes) on a copy of the load database; yields their URLs."""
    prepared = env.prepared
    db = shutil.copyfile(env.database, prepared.scratch_dir / f"load-{server}.sqlite3")
    group = ServerGroup(prepared.config, prepared.sut, server, db, prepared.log_dir, processes=processes)
    try:
        record = group.await_ready()
        if not record.started:
            raise LoadError(f"{server}: web server does not work: {record.error}")
        yield group.base_urls
    finally:
        group.stop()


def run_key(env: str, server: str, processes: int = 1) -> str:
    return f"{env}--{server.replace('+', '-')}" + (f"--p{processes}" if processes > 1 else "")


def load_env_server(
    env: LoadEnv, server: str, options: LoadOptions, load_dir: Path, command: str = ""
) -> dict[str, Any]:
    """One env and server under load; writes and returns its figures."""
    spec = env.prepared.spec
    processes = processes_for(server, options.processes)
    key = run_key(spec.name, server, processes)
    load_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=load_dir))
    summary: dict[str, Any] = {
        "schema": LOAD_SCHEMA,
        "env": spec.name,
        "server": server,
        **env.facts,
        "options": options.as_dict(),
        "command": command,
        "locust_version": locust_version(),
        "started_at": timestamp(),
        "status": "error",
        "reason": "",
        "processes": processes,
        # Which machine the figures come from, and how busy it was when the run began.
        "machine": {"host": socket.gethostname(), "cores": os.cpu_count(), "load_average": os.getloadavg()[0]},
    }
    if processes > 1:
        summary["placement"] = f"user i on process i mod {processes}, each process on its own port"
    try:
        with served(env, server, processes) as urls:
            outcome = run_locust(urls[0], spec.stack.family, options, tmp, env.prepared.log_dir, urls)
        summary["generator"] = outcome.pop("generator")
        summary["locust"] = outcome
        if outcome["timed_out"]:
            raise LoadError(f"Locust did not end within its bound: {outcome['log_tail'][-300:]}")
        entries = stats.read_entries(tmp / "locust.json")
        summary.update(stats.summarize(entries))
        if not options.capacity and summary["duration_s"] < 0.5 * options.run_seconds:
            summary["ended_early"] = (
                f"deliveries over {summary['duration_s']:g} s of a {options.run_seconds:g} s run: "
                "Locust or the server ended it early (see the Locust log)"
            )
        summary["timeline"] = stats.timeline(entries, tmp / "locust_stats_history.csv")
        summary["headroom"] = headroom(summary["totals"]["deliveries_per_s"], options.workers, read_ceiling())
        capacity_file = tmp / "capacity.json"
        if options.capacity:
            summary["capacity"] = json.loads(capacity_file.read_text()) if capacity_file.exists() else None
        summary["status"] = "ok"
    except LoadError as exc:
        summary["reason"] = str(exc)
    finally:
        summary["finished_at"] = timestamp()
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
