"""The "Protocol conformance" section: one row per server and version from
``harness conformance``'s summaries (``reports/results/conformance/*.json``),
its failed cases grouped by Autobahn chapter, and one line per server for the
at-a-glance part."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from harness.conformance.cases import BEHAVIORS, CHAPTERS
from harness.errors import BadResults
from harness.report.rst import esc, heading, list_table
from harness.results.files import read_json_files

DESCRIBED_PER_CHAPTER = 6  # failed cases shown with their description; the rest as links
OUTCOME_WORD = {"known": "known", "fail": "unexpected", "unexpected-pass": "unexpected pass", "flaky": "flaky"}


def load_conformance(folder: Path) -> list[dict[str, Any]]:
    """Every summary in ``folder`` (none when it does not exist), sorted by server and name."""
    if not folder.is_dir():
        return []
    found = []
    for path, data in read_json_files(folder, "re-run harness conformance"):
        if not isinstance(data, dict) or data.get("kind") != "conformance" or "counts" not in data:
            raise BadResults(f"{path}: not a conformance summary; delete it or re-run harness conformance")
        found.append(data)
    return sorted(found, key=lambda s: (s["family"], s["server"], s["name"]))


def _mark(summary: dict[str, Any]) -> str:
    if summary["status"] != "tested":
        return "─"
    if not summary["as_expected"]:
        return "✗"
    return "✓"


def _verdict(summary: dict[str, Any]) -> str:
    if summary["status"] != "tested":
        return f"─ {esc(summary['reason'])}"
    failed = summary["counts"]["FAILED"]
    known = sum(1 for f in summary["failed"] if f["outcome"] == "known")
    if not summary["as_expected"]:
        return f"✗ {len(summary['unexpected'])} unexpected"
    return "✓ no failure" if not failed else f"✓ {known} known failures"


def _server(summary: dict[str, Any]) -> str:
    label = "ws4redis dev server" if summary["family"] == "ws4redis" and summary["server"] == "runserver" else ""
    label = label or f"{summary['server']} ({summary['family']})"
    return f"{label} {summary['version']}".strip()


def glance_lines(summaries: Sequence[dict[str, Any]]) -> list[str]:
    """The at-a-glance lines: one per server and version."""
    if not summaries:
        return []
    out = ["**Protocol conformance** (Autobahn|Testsuite, see `Protocol conformance`_):", ""]
    for s in summaries:
        counts = ", ".join(f"{n} {b}" for b, n in s["counts"].items() if n) or "no case ran"
        out.append(f"- {_mark(s)} {esc(_server(s))}, Python {s['python']} ({s['env']}): {counts}; {_verdict(s)}")
    return out + [""]


def _description(text: str) -> str:
    """Autobahn's description on one line: its HTML tags (<b>, <br>) dropped, cut at 160 characters."""
    plain = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    return plain if len(plain) <= 160 else plain[:157] + "..."


def _case_link(summary: dict[str, Any], failed: dict[str, Any]) -> str:
    target = f"{summary['report_dir']}/{failed['report']}"
    return f"`{failed['case']} <{target}>`__"


def _chapter_lines(summary: dict[str, Any]) -> list[str]:
    out: list[str] = []
    ordered = sorted(summary["failed"], key=lambda f: int(f["chapter"]))
    for chapter, group in groupby(ordered, key=lambda f: f["chapter"]):
        cases = list(group)
        title = CHAPTERS.get(chapter, f"chapter {chapter}")
        out += [f"- **{chapter} {title}** ({len(cases)} failed)", ""]
        for failed in cases[:DESCRIBED_PER_CHAPTER]:
            close = failed["close_code"] if failed["close_code"] is not None else "none (connection dropped)"
            word = OUTCOME_WORD.get(failed["outcome"], failed["outcome"])
            cause = f"; cause: {esc(failed['cause'])}" if failed.get("cause") else ""
            out.append(
                f"  - {_case_link(summary, failed)} {esc(_description(failed['description']))} "
                f"— close {failed['behavior_close']}, code {close}; {word}{cause}"
            )
        rest = cases[DESCRIBED_PER_CHAPTER:]
        if rest:
            outcomes = sorted({OUTCOME_WORD.get(f["outcome"], f["outcome"]) for f in rest})
            out.append(f"  - and {len(rest)} more ({', '.join(outcomes)}):")
            links = [_case_link(summary, f) for f in rest]
            # Ten links a line: docutils refuses lines over 10,000 characters.
            out += ["    " + ", ".join(links[i : i + 10]) for i in range(0, len(links), 10)]
        out.append("")
    return out


def conformance_section(summaries: Sequence[dict[str, Any]]) -> list[str]:
    """The section's RST lines ([] without summaries)."""
    if not summaries:
        return []
    tools = sorted({s["tool"] for s in summaries})
    selections = sorted({s["cases_selection"] for s in summaries})
    out = heading("Protocol conformance", "-")
    out += [
        f"Autobahn|Testsuite ({', '.join(tools)}, ``wstest -m fuzzingclient``) against each server's echo "
        f"endpoint (Channels: ``/ws/echo/``; ws4redis: ``/ws/echo?subscribe-broadcast&publish-broadcast&echo`` "
        f"with heartbeats and persisted messages off), cases {', '.join(selections)}. Conformance belongs to "
        "the server, not the channel layer: each server ran once, on one layer, and its row holds for every "
        "layer's row of that server. A server is keyed by the versions of the packages that handle its frames, "
        "Python and variant (the key's start ends its name); a key already tested is read from the cache. "
        "NON-STRICT, INFORMATIONAL and UNIMPLEMENTED are Autobahn's own grades, not failures; a FAILED case "
        'is "known" when ``expectations.toml`` names it with its upstream cause.',
        "",
    ]
    header = ["Server", "Python", "Env", "Cases", *BEHAVIORS, "Verdict", "Run"]
    rows = []
    for s in summaries:
        counts = [str(s["counts"][b]) if s["status"] == "tested" else "─" for b in BEHAVIORS]
        ran = "cached" if s.get("cached") else (f"{s['seconds']} s" if s.get("seconds") is not None else "─")
        index = f"`{esc(s['name'])} <{s['report_dir']}/index.html>`__" if s["status"] == "tested" else esc(s["name"])
        cases = esc(s["cases_selection"])
        rows.append([f"{esc(_server(s))}: {index}", s["python"], s["env"], cases, *counts, _verdict(s), ran])
    out += list_table(header, rows)
    for s in summaries:
        if s["status"] != "tested" or not s["failed"]:
            continue
        out += heading(f"Failed cases: {s['name']}", "`")
        packages = ", ".join(f"{k} {v}" for k, v in s["packages"].items())
        out += [f"{esc(_server(s))} on Python {s['python']} ({esc(packages)}).", ""]
        out += _chapter_lines(s)
    return out
