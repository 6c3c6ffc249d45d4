"""The load section's idle-socket table (``harness load ENV --server M --sockets N``):
sockets held, handshake p50/p99, server memory per socket, and one broadcast's
fan-out time at 1k, 5k and 10k sockets, from ``reports/load/sockets/*.json``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.rst import esc, heading, list_table
from harness.results.files import read_json_files

SOCKETS_SCHEMA = "harness-sockets-1"


def socket_summaries(load_dir: Path) -> list[dict[str, Any]]:
    folder = load_dir / "sockets"
    if not folder.is_dir():
        return []
    found = [data for _, data in read_json_files(folder, "re-run harness load --sockets")]
    return [d for d in found if isinstance(d, dict) and d.get("schema") == SOCKETS_SCHEMA]


def _at(points: list[dict[str, Any]], count: int) -> str:
    point = next((p for p in points if p["sockets"] == count), None)
    if point is None:
        return "─"
    if point["fanout_ms"] is None:
        return f"reached {point['fanout_reached']} of {count}"
    return f"{point['fanout_ms']:g} ms"


def sockets_section(load_dir: Path) -> list[str]:
    summaries = socket_summaries(load_dir)
    if not summaries:
        return []
    out = heading("Idle sockets", "`")
    out += [
        "Logged-in, subscribed, idle WebSockets ramped up to the target (asyncio client, no thread per socket; "
        "the sockets share 50 logged-in load users). Memory per socket is the growth of the server's process "
        "tree RSS over its baseline before the ramp; fan-out is the time from sending one broadcast to its "
        "arrival at the last socket.",
        "",
    ]
    rows = []
    for s in sorted(summaries, key=lambda d: (d["env"], d["server"])):
        if s["status"] != "ok":
            rows.append([esc(s["server"]), s["env"], "✗", "", "", "", "", "", "", esc(s["reason"])])
            continue
        last = s["points"][-1] if s["points"] else {}
        rows.append(
            [
                esc(s["server"]),
                s["env"],
                f"{s['held']} of {s['plan']['target']}",
                f"{s['handshake_p50_ms']} / {s['handshake_p99_ms']}",
                f"{last.get('rss_per_socket_kib', '─')}",
                f"{last.get('server_rss_mib', '─')}",
                _at(s["points"], 1000),
                _at(s["points"], 5000),
                _at(s["points"], 10000),
                esc(s["first_failure"] or "─")
                + (f" (server logged: {esc(s['server_exceptions'][0])})" if s.get("server_exceptions") else ""),
            ]
        )
    return out + list_table(
        [
            "Server",
            "Env",
            "Held",
            "Handshake p50 / p99 ms",
            "KiB per socket",
            "Server RSS MiB",
            "Fan-out at 1k",
            "at 5k",
            "at 10k",
            "Stopped by",
        ],
        rows,
    )
