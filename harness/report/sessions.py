"""Long-lived sessions in the report: a grid across stacks of which server and
layer keep a quiet socket alive (the idle checks, the dead-peer check), and what
the servers logged, by exception: during the run, at shutdown, and what checks
provoked on purpose."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.report.found import affected_text
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


def _cell(check: dict[str, Any] | None) -> str:
    if check is None:
        return "─"
    mark = "✓" if check["ok"] else "✗"
    return f"{mark} {esc(check.get('value') or '')}".strip()


def render_quiet_sockets(all_results: Iterable[dict[str, Any]]) -> list[str]:
    """One row per env and mode that ran a session check; a column per check."""
    rows: list[list[str]] = []
    names: list[str] = []
    table: list[tuple[str, str, dict[str, dict[str, Any]]]] = []
    for result in all_results:
        for mode, checks in _session_checks(result).items():
            table.append((result["env"], mode, checks))
            names += [name for name in checks if name not in names]
    if not table:
        return []
    names.sort(key=lambda name: (name == DEAD_PEER_CHECK, len(name), name))
    for env, mode, checks in table:
        rows.append([esc(env), esc(mode), *(_cell(checks.get(name)) for name in names)])
    out = heading("Quiet sockets: which stack and layer keep them alive", "-")
    out += [
        "admin, john and mary each hold a socket that gets no message (pings answered, nothing sent), then a "
        "broadcast, a private and a group message must each arrive once on a still-open socket. The value is "
        "the quiet time, or when the first socket was closed. Dead peer (``--deep``): a client that stops "
        "answering pings; ✓ when the server drops it within 60 s.",
        "",
    ]
    return out + list_table(["Env", "Mode", *(esc(name) for name in names)], rows)


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
