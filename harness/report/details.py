"""The per-env detail page: every server run's start-up, logs, exceptions,
warnings, delivery table (the seed report's form) and checks.

It is its own file (``reports/envs/<env>.html`` and ``.rst``), linked from the
env's section of the main page, so that the main page stays small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.fixtures import USERS
from harness.matrix.releases import join_mode, split_mode
from harness.report.blocks import Block, Bullets, Heading, Literal, Para, Table
from harness.report.compatibility import VERDICT_HEADER, verdict_rows, verdict_text
from harness.report.families import family_blocks
from harness.report.rst import NO, UNKNOWN, YES, names
from harness.results.schema import mode_verdicts

KIND_LABEL = {"broadcast": "Broadcast", "user": "User chat", "group": "Group user"}
PATH_LABEL = {"socket": "socket", "http": "HTTP POST"}
# The rooms table: its columns, in order (scenarios/test_rooms.py, test_access.py).
ROOM_CHECKS = (
    "room join notice",
    "room leave notice",
    "room messages reach members only",
    "staff-only room",
    "anonymous socket refused",
)
CELL_HEADER = [
    *("Channel", "Published by", "From", "To", "Recipients"),
    *("Received by", "Good behavior?", "Latency ms", "Why not"),
]


@dataclass(frozen=True)
class CellRow:
    channel: str
    path: str
    sender: str
    target: str
    recipients: str
    received: str
    good: str
    latency: str
    detail: str


def cell_rows(cells: list[dict[str, Any]]) -> list[CellRow]:
    rows = []
    for cell in cells:
        target = (
            "Everybody"
            if cell["kind"] == "broadcast"
            else (cell["target"].capitalize() if cell["target"] in USERS else cell["target"])
        )
        recipients = names(cell["expected"])
        if cell["kind"] == "group":
            recipients = f"{cell['target']} ({recipients})"
        latency = "" if cell["latency_ms"] is None else f"{cell['latency_ms']:.1f}"
        rows.append(
            CellRow(
                KIND_LABEL[cell["kind"]],
                PATH_LABEL.get(cell.get("path", ""), cell.get("path", "")),
                cell["sender"].capitalize(),
                target,
                recipients,
                names(cell["received"]),
                YES if cell["ok"] else NO,
                latency,
                cell["detail"],
            )
        )
    return rows


def of_run(entries: list[dict[str, Any]], server: dict[str, Any]) -> list[dict[str, Any]]:
    """The cells or checks of one run of one server mode."""
    return [e for e in entries if e["server"] == server["name"] and e.get("run", 0) == server.get("run", 0)]


def server_blocks(result: dict[str, Any], server: dict[str, Any]) -> list[Block]:
    run = server.get("run", 0)
    title = f"{server['name']}" + (f" (run {run + 1})" if run else "")
    out: list[Block] = [Heading(title, 2)]
    if server["started"]:
        out.append(
            Para(
                f"Web server works? ✓ Started in {server['startup_seconds']} s "
                f"(HTTP {server['http_status']}, WebSocket handshake {server['ws_status']})."
            )
        )
    else:
        out.append(Para(f"Web server works? ✗ {server['error']}"))
    if server.get("exceptions"):
        out += [Para(f"Exceptions in the server log ({len(server['exceptions'])}):"), Bullets(server["exceptions"])]
    if server["warnings"]:
        out += [Para(f"Warnings printed at start-up ({len(server['warnings'])}):"), Bullets(server["warnings"])]
    out.append(Literal("Start-up output (first lines)", server["log_excerpt"]))
    cells, checks = of_run(result["deliveries"], server), of_run(result["checks"], server)
    failed = not server["started"] or not all(c["ok"] for c in cells) or server.get("scenario_errors")
    if server.get("log_tail"):
        out.append(Literal("End of the server log (where failures show)", server["log_tail"], folded=not failed))
    if server.get("scenario_errors"):
        out.append(Para(f"Scenarios broke: {server['scenario_errors'][0]}"))
    if cells:
        good = sum(1 for c in cells if c["ok"])
        verdict = "✓ Passed!" if good == len(cells) else "✗ Failed!"
        note = "The group chatusers is John and Mary."
        out.append(Para(f"Channels: {verdict} {good} of {len(cells)} delivery cells good. {note}"))
        out.append(Table(CELL_HEADER, [list(row.__dict__.values()) for row in cell_rows(cells)]))
    if checks:
        rows = [[c["name"], YES if c["ok"] else NO, c["detail"]] for c in checks]
        out.append(Table(["Check", "Good behavior?", "Detail"], rows))
    return out


def mode_grid(result: dict[str, Any]) -> list[Block]:
    """Servers as rows, channel layers as columns (stacks whose modes are server+layer)."""
    modes = [m for m in mode_verdicts(result) if split_mode(m.name)[1]]
    if not modes:
        return []
    servers = list(dict.fromkeys(split_mode(m.name)[0] for m in modes))
    layers = list(dict.fromkeys(split_mode(m.name)[1] for m in modes))
    by_name = {m.name: m for m in modes}
    rows = []
    for server in servers:
        row = [server]
        for layer in layers:
            verdict = by_name.get(join_mode(server, layer))
            row.append(f"{verdict_text(verdict)} ({verdict.passed}/{verdict.item_count})" if verdict else "─ not run")
        rows.append(row)
    header = ["Server", *(f"{layer} layer" for layer in layers)]
    return [Para("Server × channel layer (verdict, items passed):"), Table(header, rows)]


def verdict_table(result: dict[str, Any]) -> list[Block]:
    """Every mode's verdict (the main page lists only those that did not plainly pass)."""
    rows = verdict_rows(result)
    intro = "Each mode's verdict (a known failure names its entry; its cause is in the main page's findings):"
    return [Para(intro), Table(VERDICT_HEADER, rows)] if rows else []


def rooms_table(result: dict[str, Any]) -> list[Block]:
    """Server modes as rows, the room and access checks (first run) as columns."""
    verdicts = {
        (c["server"], c["name"]): c["ok"] for c in result["checks"] if c["name"] in ROOM_CHECKS and c.get("run", 0) == 0
    }
    if not verdicts:
        return []
    rows = []
    for mode in (m.name for m in mode_verdicts(result)):
        row = [mode]
        for check in ROOM_CHECKS:
            ok = verdicts.get((mode, check))
            row.append(UNKNOWN if ok is None else (YES if ok else NO))
        rows.append(row)
    header = ["Server mode", *(c.capitalize() for c in ROOM_CHECKS)]
    return [Para("Rooms and access (first run):"), Table(header, rows)]


def detail_blocks(result: dict[str, Any]) -> list[Block]:
    out: list[Block] = [Heading(f"{result['env']}: every server run", 1)]
    env = result["env"]
    out.append(Para(f"Back to {env} in the compatibility report", href=f"../compatibility.html#{env}"))
    out.append(Para(f"Reproduce: tox -e {env}"))
    out += mode_grid(result) + verdict_table(result) + rooms_table(result) + family_blocks(result)
    packages = result["stack"].get("packages") or {}
    if packages:
        out.append(Table(["Installed package", "Version"], [[k, v] for k, v in packages.items()]))
    for server in result["servers"]:
        out += server_blocks(result, server)
    return out
