"""Long-lived sessions in the report: a grid across stacks of which server and
layer keep a quiet socket alive (the idle checks, the dead-peer check), and what
the servers logged, by exception: during the run, at shutdown, and what checks
provoked on purpose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from harness.report.found import affected_text
from harness.report.overview import env_key
from harness.report.rst import esc, heading, list_table
from harness.results.schema import mode_verdicts
from harness.run.deadpeer import DEAD_PEER_CHECK
from harness.run.idle import FAMILY

PHASE_TITLE = {"run": "during the run", "shutdown": "at shutdown", "provoked": "provoked by a check"}


def _session_checks(result: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """mode -> check name -> its last run's entry (family "sessions")."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for check in result["checks"]:
        if check.get("family") == FAMILY:
            out.setdefault(check["server"], {})[check["name"]] = check
    return out


# A failing cell names at most this many envs (the rest: each env's page has it).
FAILED_ENVS = 8


def _row_key(env: str) -> str:
    """The stack line and variant an env belongs to ("channels4", "ws4redis04-wsaccel")."""
    key = env_key(env)
    return env if key is None else key.release_key + (f"-{key.variant}" if key.variant else "")


class _EnvCheck(NamedTuple):
    """One env's run of a session check, and the expectation that names it (if any)."""

    env: str
    ok: bool
    value: str
    known: str | None


def _cell(checks: list[_EnvCheck]) -> str:
    """ "✓ 12 of 12 envs" or "✗ 2 of 12 (known: entry): env (closed after 5.6 s); env (…)";
    ─ where none ran it."""
    if not checks:
        return "─"
    failed = [check for check in checks if not check.ok]
    if not failed:
        return f"✓ {len(checks)} of {len(checks)} envs"
    entries = sorted({check.known or "" for check in failed})
    known = f" (known: {', '.join(entries)})" if "" not in entries else ""
    named = "; ".join(f"{check.env} ({check.value or 'failed'})" for check in failed[:FAILED_ENVS])
    more = len(failed) - FAILED_ENVS
    return esc(f"✗ {len(failed)} of {len(checks)}{known}: {named}" + (f"; and {more} more" if more > 0 else ""))


def render_quiet_sockets(all_results: Iterable[dict[str, Any]]) -> list[str]:
    """One row per stack line (and variant) and mode that ran a session check; a column per
    check, counting envs (a row per env and mode was most of a full matrix's main page,
    and each env's page has its own values)."""
    rows: dict[tuple[str, str], dict[str, list[_EnvCheck]]] = {}
    names: list[str] = []
    for result in all_results:
        known = {(m.name, i.item): i.expectation for m in mode_verdicts(result) for i in m.items if i.expectation}
        for mode, checks in _session_checks(result).items():
            row = rows.setdefault((_row_key(result["env"]), mode), {})
            for name, check in checks.items():
                entry = known.get((mode, f"check:{name}"))
                row.setdefault(name, []).append(_EnvCheck(result["env"], check["ok"], check.get("value") or "", entry))
                names += [name] if name not in names else []
    if not rows:
        return []
    names.sort(key=lambda name: (name == DEAD_PEER_CHECK, len(name), name))
    table = [[esc(line), esc(mode), *(_cell(row.get(n, [])) for n in names)] for (line, mode), row in rows.items()]
    out = heading("Quiet sockets: which stack and layer keep them alive", "-")
    out += [
        "admin, john and mary each hold a socket that gets no message (pings answered, nothing sent), then a "
        "broadcast, a private and a group message must each arrive once on a still-open socket. Dead peer "
        "(``--deep``): a client that stops answering pings; ✓ when the server drops it within 60 s. A cell "
        "counts the envs of that stack line and mode; a failure names each env with its value (the quiet time, "
        "or when the first socket was closed); every env's values are on its page.",
        "",
    ]
    return out + list_table(["Stack line", "Mode", *(esc(name) for name in names)], table)


@dataclass
class _Logged:
    exception: str
    phase: str
    count: int = 0
    last_line: str = ""
    where: str = ""
    known: set[str] = field(default_factory=set)
    affected: dict[str, list[str]] = field(default_factory=dict)  # env -> modes (checks, when provoked)


def server_logs(all_results: Iterable[dict[str, Any]]) -> list[_Logged]:
    """Every exception the servers logged, grouped by exception and phase."""
    found: dict[tuple[str, str], _Logged] = {}
    for result in all_results:
        known = {(mode.name, item.item): item.expectation for mode in mode_verdicts(result) for item in mode.items}
        for server in result["servers"]:
            for finding in server.get("log_findings", []):
                key = (finding["exception"], finding["phase"])
                entry = found.setdefault(key, _Logged(*key, last_line=finding["last_line"], where=finding["where"]))
                entry.count += finding["count"]
                what = f"{server['name']}: {finding['check']}" if finding["check"] else server["name"]
                modes = entry.affected.setdefault(result["env"], [])
                if what not in modes:
                    modes.append(what)
                expectation = known.get((server["name"], "log:" + finding["exception"]))
                if expectation and finding["phase"] == "run":
                    entry.known.add(expectation)
    order = {"run": 0, "shutdown": 1, "provoked": 2}
    return sorted(found.values(), key=lambda e: (order.get(e.phase, 3), -e.count, e.exception))


def render_server_logs(all_results: Iterable[dict[str, Any]]) -> list[str]:
    logged = server_logs(all_results)
    if not logged:
        return []
    out = heading("What the servers logged", "-")
    out += [
        'Tracebacks, ``ERROR`` lines and each server\'s "exception in the application" lines in the server logs, '
        'by exception. During the run and unprovoked, an exception makes a passing mode "✓! pass, server '
        'logged errors" unless an expectation names it (its id is shown). At shutdown: written after the '
        "harness asked the server to stop. Provoked: written while a check provoked errors on purpose.",
        "",
    ]
    rows = []
    for entry in logged:
        where = f" (at {entry.where})" if entry.where else ""
        envs = affected_text(entry.affected)
        known = ", ".join(sorted(entry.known)) or ("new" if entry.phase == "run" else "─")
        rows.append(
            [
                esc(entry.exception),
                PHASE_TITLE.get(entry.phase, entry.phase),
                str(entry.count),
                known,
                esc(entry.last_line + where),
                esc(envs),
            ]
        )
    return out + list_table(["Exception", "When", "Count", "Known?", "Last line", "Envs (modes)"], rows)
