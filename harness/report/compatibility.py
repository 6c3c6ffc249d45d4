"""The compatibility part of the report: the summary (one row per env and server
mode, in the seed report's columns) and one section per env, from results only.

Rows are built once (``SummaryRow``, ``CellRow``) and rendered as RST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.fixtures import USERS
from harness.matrix.releases import join_mode, split_mode
from harness.report.rst import NO, UNKNOWN, YES, bold, esc, heading, list_table, literal, names

KIND_LABEL = {"broadcast": "Broadcast", "user": "User chat", "group": "Group user"}
PATH_LABEL = {"socket": "socket", "http": "HTTP POST"}
# The per-env rooms table: its columns, in order (scenarios/test_rooms.py, test_access.py).
ROOM_CHECKS = (
    "room join notice",
    "room leave notice",
    "room messages reach members only",
    "staff-only room",
    "anonymous socket refused",
)
STATUS_LABEL = {"pass": "✓ pass", "fail": "✗ fail", "error": "✗ error", "not-tested": "─ not tested"}


@dataclass(frozen=True)
class SummaryRow:
    python: str
    django: str
    env: str
    stack: str
    server: str
    web_server: str
    channels: str
    works: str


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


def _cells_of(result: dict[str, Any], server: str) -> list[dict[str, Any]]:
    return [c for c in result["deliveries"] if c["server"] == server]


def _channels_verdict(result: dict[str, Any], server: dict[str, Any]) -> str:
    cells = _cells_of(result, server["name"])
    checks = [c for c in result["checks"] if c["server"] == server["name"]]
    if not server["started"] or not cells:
        return UNKNOWN
    return YES if all(c["ok"] for c in cells + checks) else NO


def summary_rows(all_results: list[dict[str, Any]]) -> list[SummaryRow]:
    rows = []
    for result in all_results:
        python, django = f"Python {result['python']}", f"Django {result['django']}"
        stack = f"{result['stack']['name']} {result['stack']['version']}"
        if not result["servers"]:
            verdict = UNKNOWN if result["status"] == "not-tested" else NO
            rows.append(SummaryRow(python, django, result["env"], stack, "─", verdict, UNKNOWN, verdict))
            continue
        for server in result["servers"]:
            web = YES if server["started"] else NO
            channels = _channels_verdict(result, server)
            works = YES if web == YES and channels == YES else NO
            rows.append(SummaryRow(python, django, result["env"], stack, server["name"], web, channels, works))
    return rows


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


def render_summary(rows: list[SummaryRow]) -> list[str]:
    table = [
        [r.python, r.django, f"`{r.env}`_", esc(r.stack), esc(r.server), r.web_server, r.channels, bold(r.works)]
        for r in rows
    ]
    return list_table(
        ["Python", "Django", "More details", "Stack", "Server", "Web server works?", "Channels work?", "Does it work?"],
        table,
    )


def render_server(result: dict[str, Any], server: dict[str, Any]) -> list[str]:
    env, name = result["env"], server["name"]
    out = heading(f"{env} on {name}", "'")
    if server["started"]:
        out += [
            f"Web server works? **✓ Passed!** Started in {server['startup_seconds']} s "
            f"(HTTP {server['http_status']}, WebSocket handshake {server['ws_status']}).",
            "",
        ]
    else:
        out += [f"Web server works? **✗ Failed:** {esc(server['error'])}", ""]
    if server.get("exceptions"):
        out += [f"Exceptions in the server log ({len(server['exceptions'])}):", ""]
        out += [f"- ``{e.replace('``', '` `')}``" for e in server["exceptions"]] + [""]
    if server["warnings"]:
        out += [f"Warnings printed at start-up ({len(server['warnings'])}):", ""]
        out += [f"- ``{w.replace('``', '` `')}``" for w in server["warnings"]] + [""]
    out += ["Start-up output (first lines):", ""] + literal(server["log_excerpt"])
    cells_ok = all(c["ok"] for c in _cells_of(result, name))
    if server.get("log_tail") and (not server["started"] or not cells_ok or server.get("scenario_errors")):
        out += ["End of the server log (where failures show):", ""] + literal(server["log_tail"])
    cells = _cells_of(result, name)
    errors = server.get("scenario_errors") or []
    if errors:
        out += [f"Scenarios broke: {esc(errors[0])}", ""]
    if cells:
        good = sum(1 for c in cells if c["ok"])
        verdict = "**✓ Passed!**" if good == len(cells) else "**✗ Failed!**"
        out += [
            f"Channels: {verdict} {good} of {len(cells)} delivery cells good. "
            "*The group chatusers is composed of John and Mary.*",
            "",
        ]
        rows = cell_rows(cells)
        out += list_table(
            [
                *("Channel", "Published by", "From", "To", "Recipients"),
                *("Received by", "Good behavior?", "Latency ms", "Why not"),
            ],
            [
                [
                    r.channel,
                    r.path,
                    r.sender,
                    esc(r.target),
                    esc(r.recipients),
                    esc(r.received),
                    bold(r.good),
                    r.latency,
                    esc(r.detail),
                ]
                for r in rows
            ],
        )
    checks = [c for c in result["checks"] if c["server"] == name]
    if checks:
        out += list_table(
            ["Check", "Good behavior?", "Detail"],
            [[esc(c["name"]), bold(YES if c["ok"] else NO), esc(c["detail"])] for c in checks],
        )
    return out


def mode_verdict(result: dict[str, Any], server: dict[str, Any]) -> str:
    """One grid cell: the verdict with how many cells and checks were good."""
    if not server["started"]:
        return "✗ did not start"
    cells = _cells_of(result, server["name"])
    checks = [c for c in result["checks"] if c["server"] == server["name"]]
    good_cells, good_checks = sum(c["ok"] for c in cells), sum(c["ok"] for c in checks)
    symbol = "✓" if cells and good_cells == len(cells) and good_checks == len(checks) else "✗"
    return f"{symbol} {good_cells}/{len(cells)} cells, {good_checks}/{len(checks)} checks"


def render_mode_grid(result: dict[str, Any]) -> list[str]:
    """Servers as rows, channel layers as columns (stacks whose modes are server+layer)."""
    modes = [s for s in result["servers"] if split_mode(s["name"])[1]]
    if not modes:
        return []
    servers = list(dict.fromkeys(split_mode(s["name"])[0] for s in modes))
    layers = list(dict.fromkeys(split_mode(s["name"])[1] for s in modes))
    by_name = {s["name"]: s for s in modes}
    rows = []
    for server in servers:
        row = [server]
        for layer in layers:
            entry = by_name.get(join_mode(server, layer))
            row.append(mode_verdict(result, entry) if entry else "─ not run")
        rows.append(row)
    out = ["Server × channel layer (delivery cells on both publish paths, and checks):", ""]
    return out + list_table(["Server", *(f"{layer} layer" for layer in layers)], rows)


def render_rooms(result: dict[str, Any]) -> list[str]:
    """Server modes as rows, the room and access checks as columns."""
    modes = [s["name"] for s in result["servers"]]
    verdicts = {(c["server"], c["name"]): c["ok"] for c in result["checks"] if c["name"] in ROOM_CHECKS}
    if not verdicts:
        return []
    rows = []
    for mode in modes:
        row = [esc(mode)]
        for check in ROOM_CHECKS:
            ok = verdicts.get((mode, check))
            row.append(UNKNOWN if ok is None else bold(YES if ok else NO))
        rows.append(row)
    out = ["Rooms and access (details in each server's checks table):", ""]
    return out + list_table(["Server mode", *(c.capitalize() for c in ROOM_CHECKS)], rows)


def render_env(result: dict[str, Any]) -> list[str]:
    out = heading(result["env"], "`")
    status = STATUS_LABEL[result["status"]]
    out += [f"Outcome: **{status}**" + (f" — {esc(result['reason'])}" if result["reason"] else ""), ""]
    redis = result["redis"]
    facts = [
        ("Python", result["python"]),
        ("Django", result["django"]),
        ("Stack", f"{result['stack']['name']} {result['stack']['version']}"),
        ("Redis", f"{redis['version']} ({redis['source']})" if redis.get("version") else "not started"),
        ("Reproduce", f"``tox -e {result['env']}``"),
    ]
    if "fast_password_hasher" in result:
        fast = result["fast_password_hasher"]
        hasher = "Django's MD5 hasher first (as Django advises for tests)" if fast else "the project's own"
        facts.append(("Password hasher", hasher))
    timings = result["timings"]
    if timings:
        facts.append(
            (
                "Timings (s)",
                ", ".join(f"{k} {v}" for k, v in timings.items() if k in ("install", "migrate", "start", "scenarios")),
            )
        )
    packages = result["stack"].get("packages") or {}
    if packages:
        facts.append(("Installed", ", ".join(f"{esc(k)} {esc(v)}" for k, v in packages.items())))
    out += [f":{key}: {value}" for key, value in facts] + [""]
    out += render_mode_grid(result) + render_rooms(result)
    for server in result["servers"]:
        out += render_server(result, server)
    return out
