"""The load section of the report, from ``reports/load/*.json`` only.

Rows are built once (``LoadRow``); the RST renderer writes the table and one
subsection per run, and the PNG plots (throughput and latency percentiles
over time) are drawn from the same files with matplotlib, each written to a
temporary file and renamed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import BadResults
from harness.report.loadplan import figures_with_spread, headroom_lines, schedule_lines
from harness.report.loadscale import plot_knee, scaling_section
from harness.report.loadsockets import sockets_section
from harness.report.plots import plot_run, plots_available
from harness.report.rst import esc, heading, list_table
from harness.results.files import read_json_files
from harness.results.schema import LOAD_SCHEMA


@dataclass(frozen=True)
class LoadRow:
    key: str
    stack: str
    server: str
    env: str
    users: str
    deliveries_per_s: str
    p50: str
    p95: str
    p99: str
    loss: str
    errors: str
    capacity: str
    generator: str


def load_summaries(load_dir: Path) -> list[dict[str, Any]]:
    out = []
    for path, data in read_json_files(load_dir, "re-run harness load"):
        if not isinstance(data, dict) or data.get("schema") != LOAD_SCHEMA or "server" not in data:
            raise BadResults(f"{path}: not a load figures file (schema {LOAD_SCHEMA}); re-run harness load")
        data["key"] = path.stem
        out.append(data)
    return sorted(out, key=lambda d: (d.get("stack", {}).get("name", ""), d["server"], d["env"]))


def _ms(value: float | None) -> str:
    return "─" if value is None else f"{value:g}"


def _generator(summary: dict[str, Any]) -> str:
    gen = summary.get("generator") or {}
    if gen.get("busiest_process_mean_pct") is None:
        return "─"
    text = f"{gen['busiest_process_mean_pct']:g} %"
    return text + (" ⚠ saturated" if gen.get("saturated") else "")


def load_rows(summaries: list[dict[str, Any]]) -> list[LoadRow]:
    rows = []
    for s in summaries:
        stack = f"{s['stack']['name']} {s['stack']['version']}"
        server = s["server"] + (f" ×{s['processes']}" if s.get("processes", 1) > 1 else "")
        users = str(s["options"]["users"]) + (f" ×{s['options']['workers']}w" if s["options"].get("workers") else "")
        if s["options"].get("capacity"):
            users = f"step to {s['options']['capacity']['max_users']}"
        if s["status"] != "ok":
            rows.append(LoadRow(s["key"], stack, server, s["env"], users, "✗", "", "", "", "", "", "", ""))
            continue
        t = s["totals"]
        cap = s.get("capacity")
        capacity = f"{cap['held_users']} users, {cap['held_deliveries_per_s']:g}/s" if cap else ""
        shown = figures_with_spread(s)
        rows.append(
            LoadRow(
                s["key"],
                stack,
                server,
                s["env"],
                users,
                shown["deliveries_per_s"],
                shown["p50"],
                shown["p95"],
                shown["p99"],
                f"{t['loss_pct']:g} % ({t['lost']})",
                str(t["errors"]),
                shown.get("capacity", capacity),
                _generator(s),
            )
        )
    return rows


# RST -----------------------------------------------------------------------------


def _run_section(summary: dict[str, Any], images: list[Path], output_dir: Path) -> list[str]:
    processes = f" ×{summary['processes']} processes" if summary.get("processes", 1) > 1 else ""
    out = heading(f"Load: {summary['env']} on {summary['server']}{processes}", "`")
    options = summary["options"]
    if summary["status"] != "ok":
        return out + [f"**✗ No figures:** {esc(summary['reason'])}", ""]
    command = summary.get("command") or ""
    facts = [
        ("Stack", esc(f"{summary['stack']['name']} {summary['stack']['version']}")),
        ("Python / Django", f"{summary['python']} / {summary['django']}"),
        ("Load", esc(_load_text(options))),
        ("Duration", f"{summary['duration_s']:g} s of deliveries (Locust {summary.get('locust_version', '?')})"),
    ]
    if command:
        facts.append(("Command", f"``{command}``"))
    if summary.get("files", {}).get("locust.html"):
        facts.append(("Locust report", f"`locust.html <{summary['files']['locust.html']}>`__"))
    out += [f":{k}: {v}" for k, v in facts] + [""]
    out += schedule_lines(summary) + headroom_lines(summary)
    gen = summary.get("generator") or {}
    if gen.get("saturated"):
        out += [
            f"**⚠ The load generator was saturated:** its busiest process used ≥ 90 % of a core in "
            f"{gen['saturated_share'] * 100:.0f} % of the samples (mean {gen['busiest_process_mean_pct']:g} %). "
            "These figures describe the generator, not the server: use more ``--workers`` or machines.",
            "",
        ]
    if gen.get("machine_busy"):
        out += [
            f"**⚠ The machine was busy:** {gen['machine_mean_pct']:g} % of all {gen['cores']} cores on average "
            "(server and generator share them).",
            "",
        ]
    rows = [
        [
            k["kind"],
            str(k["sent"]),
            str(k["deliveries"]),
            f"{k['deliveries_per_s']:g}",
            _ms(k["p50"]),
            _ms(k["p95"]),
            _ms(k["p99"]),
            f"{k['loss_pct']:g} % ({k['lost']})",
            str(k["misdelivered"]),
        ]
        for k in summary["kinds"]
    ]
    out += list_table(
        ["Kind", "Sent", "Deliveries", "Deliveries/s", "p50 ms", "p95 ms", "p99 ms", "Loss", "Misdelivered"], rows
    )
    clients = summary.get("clients", {})
    if clients:
        out += list_table(
            ["Step", "Count", "Failures", "p50 ms", "p95 ms", "p99 ms"],
            [
                [name, str(c["count"]), str(c["failures"]), _ms(c["p50"]), _ms(c["p95"]), _ms(c["p99"])]
                for name, c in clients.items()
            ],
        )
    errors = {k: v for k, v in summary.get("errors", {}).items() if v}
    if errors:
        out += ["Errors: " + ", ".join(f"{esc(k)} {v}" for k, v in errors.items()), ""]
    cap = summary.get("capacity")
    if cap:
        out += [
            f"Capacity: **{cap['held_users']} users, {cap['held_deliveries_per_s']:g} deliveries/s** held "
            f"(p99 ≤ {cap['p99_limit_ms']:g} ms, no loss); stopped: {esc(cap['stopped_because'])}.",
            "",
        ]
        out += list_table(
            ["Users", "Deliveries/s", "p50 ms", "p95 ms", "p99 ms", "Lost", "Held?", "Why not"],
            [
                [
                    str(s["users"]),
                    f"{s['deliveries_per_s']:g}",
                    _ms(s["p50"]),
                    _ms(s["p95"]),
                    _ms(s["p99"]),
                    str(s["lost"]),
                    "✓" if s["held"] else "✗",
                    esc(s["why"]),
                ]
                for s in cap["steps"]
            ],
        )
    for image in images:
        out += [f".. image:: {image.relative_to(output_dir).as_posix()}", "   :width: 640px", ""]
    return out


def _load_text(options: dict[str, Any]) -> str:
    text = (
        f"{options['users']} users spawned at {options['spawn_rate']:g}/s for {options['run_time']}, "
        f"{options['message_rate']:g} messages/s each ({options['mix']}), {options['message_bytes']} bytes, "
        f"{options['load_users']} load users in groups of {options['group_size']}"
    )
    if options.get("workers"):
        text += f", Locust master + {options['workers']} workers"
    if options.get("fast_password_hasher"):
        text += ", logins hashed with Django's MD5 hasher"
    cap = options.get("capacity")
    if cap:
        text = (
            f"step load: +{cap['step_users']} users every {cap['step_seconds']:g} s up to {cap['max_users']}, "
            f"p99 limit {cap['p99_limit_ms']:g} ms, {options['message_rate']:g} messages/s each ({options['mix']})"
        )
    return text


def load_section(load_dir: Path, output_dir: Path) -> str:
    """The RST of the load section ("" when there are no load figures); draws the plots."""
    summaries = load_summaries(load_dir) if load_dir.is_dir() else []
    sockets = sockets_section(load_dir)
    if not summaries:
        return "\n".join(heading("Load", "-") + sockets).rstrip() + "\n" if sockets else ""
    out = heading("Load", "-")
    out += [
        f"Generated from {len(summaries)} ``harness load`` figures files (``reports/load/*.json``). "
        "A delivery is one message arriving at one expected recipient; latency is from the time the sender's "
        "fixed schedule (open loop) wanted it sent to the recipient's receipt "
        "(from the actual send: per run); loss counts deliveries that did not arrive within the loss timeout. "
        "Latency percentiles are over the whole run; the plots show a 10 s window.",
        "",
    ]
    rows = load_rows(summaries)
    out += list_table(
        [
            "Stack",
            "Server",
            "Env",
            "Users",
            "Deliveries/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "Loss",
            "Errors",
            "Capacity",
            "Generator CPU",
        ],
        [
            [
                esc(r.stack),
                esc(r.server),
                r.env,
                esc(r.users),
                r.deliveries_per_s,
                r.p50,
                r.p95,
                r.p99,
                r.loss,
                r.errors,
                esc(r.capacity),
                r.generator,
            ]
            for r in rows
        ],
    )
    can_plot = plots_available()
    if not can_plot:
        out += ["*Plots need matplotlib:* ``pip install -e '.[load]'``.", ""]
    out += scaling_section(summaries, output_dir, can_plot) + sockets
    for summary in summaries:
        images = plot_run(summary, output_dir / "load" / "plots") if can_plot else []
        images += plot_knee(summary, output_dir / "load" / "plots") if can_plot else []
        out += _run_section(summary, images, output_dir)
    return "\n".join(out).rstrip() + "\n"
