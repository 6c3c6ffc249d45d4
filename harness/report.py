"""The compatibility report, generated from the results files only.

Rows are built once (``SummaryRow``, ``CellRow``); the RST renderer writes
them in the seed report's form, and the HTML is docutils' rendering of that
same RST.  docutils must accept the RST without a single warning: a warning
is a renderer bug and fails the report instead of shipping a broken page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docutils.core
import docutils.utils

from harness.delivery import USERS
from harness.results import load_all, write_atomic

YES, NO, UNKNOWN = "✓ Yes", "✗ No", "─ Not tested"
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


class ReportError(Exception):
    """docutils found a problem in the generated RST."""


def esc(text: object) -> str:
    """Escape RST inline markup so that result text is shown as written."""
    out = str(text).replace("\\", "\\\\")
    for char in "*`_|[]<>":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())  # one line, no tabs or control whitespace


def names(users: Iterable[str]) -> str:
    """ "Admin, John and Mary", as the seed writes recipients."""
    items = [u.capitalize() for u in users]
    if not items:
        return "nobody"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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


# RST rendering ---------------------------------------------------------------


def heading(text: str, char: str, overline: bool = False) -> list[str]:
    line = char * max(len(text), 4)
    return ([line] if overline else []) + [text, line, ""]


def list_table(header: list[str], rows: list[list[str]], widths: str = "auto") -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        first, *rest = row
        out.append(f"   * - {first}" if first else "   * -")
        out += [f"     - {cell}" if cell else "     -" for cell in rest]
    return out + [""]


def literal(text: str) -> list[str]:
    lines = [line.replace("\t", "    ") for line in text.rstrip().splitlines()]
    if not any(line.strip() for line in lines):
        return ["*(no output)*", ""]
    return ["::", ""] + [f"    {line}" for line in lines] + [""]


def bold(verdict: str) -> str:
    return f"**{verdict}**"


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
    modes = [s for s in result["servers"] if "+" in s["name"]]
    if not modes:
        return []
    servers = list(dict.fromkeys(s["name"].split("+")[0] for s in modes))
    layers = list(dict.fromkeys(s["name"].split("+")[1] for s in modes))
    by_name = {s["name"]: s for s in modes}
    rows = []
    for server in servers:
        row = [server]
        for layer in layers:
            entry = by_name.get(f"{server}+{layer}")
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


def render_rst(all_results: list[dict[str, Any]], previous: list[dict[str, Any]] | None = None, since: str = "") -> str:
    from harness import report_overview as overview  # it builds on this module's helpers

    out = heading("Django WebSocket compatibility report", "=", overline=True)
    out += [
        f"Generated by ``harness report`` from {len(all_results)} results files "
        "(``reports/results/*.json``). Each row is one env and server mode: a real "
        "Redis, a real server process and scripted clients admin, john and mary.",
        "",
    ]
    out += [".. contents::", "   :depth: 2", "   :backlinks: none", ""]
    out += overview.render_grids(overview.grids(all_results))
    if previous is not None:
        found = overview.changes(previous, all_results)
        out += overview.render_changes(found, since, {r["env"] for r in all_results})
    out += heading("Summary", "-")
    out += [
        "A cell is ✓ only when every expected recipient received the message exactly once and "
        "intact and nobody else received it; ─ means not tested, with the reason in the env's section.",
        "",
    ]
    out += render_summary(summary_rows(all_results))
    out += heading("Environments", "-")
    for result in all_results:
        out += render_env(result)
    return "\n".join(out).rstrip() + "\n"


def render_html(rst: str) -> str:
    """docutils' HTML of ``rst``; any warning raises ``ReportError``."""
    settings = {
        "halt_level": docutils.utils.Reporter.WARNING_LEVEL,
        "report_level": 2,
        "output_encoding": "unicode",
        "embed_stylesheet": True,
        "traceback": True,
    }
    try:
        return str(docutils.core.publish_string(rst, writer="html5", settings_overrides=settings))
    except docutils.utils.SystemMessage as exc:
        raise ReportError(f"generated RST has a docutils problem: {exc}") from exc


def write_report(
    results_dir: Path, output_dir: Path, load_dir: Path | None = None, since: Path | None = None
) -> list[Path]:
    all_results = load_all(results_dir)
    previous = load_all(since) if since is not None else None
    rst = render_rst(all_results, previous, str(since or ""))
    if load_dir is not None:
        from harness.report_load import load_section

        section = load_section(load_dir, output_dir)
        rst += "\n" + section if section else ""
    html = render_html(rst)  # validates before anything is written
    written = []
    for name, text in (("compatibility.rst", rst), ("compatibility.html", html)):
        path = output_dir / name
        write_atomic(path, text)
        written.append(path)
    return written
