"""The top of the main page: "What this run found", each distinct cause once,
with the envs and modes it affects, its upstream reference, and whether it is
a known defect (an entry of expectations.toml) or new."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.report.rst import bold, esc, heading, list_table
from harness.results.schema import STATUS_LABEL, ModeVerdict, mode_verdicts

NOISE = re.compile(r"[0-9a-f]{8,}|\d+(\.\d+)?")  # session tags, ports, timings


@dataclass
class Finding:
    cause: str
    status: str  # "known", "new", "gone?" (an unexpected pass), "harness error"
    outcomes: set[str] = field(default_factory=set)
    upstream: list[str] = field(default_factory=list)
    affected: dict[str, list[str]] = field(default_factory=dict)  # env -> modes

    def add(self, env: str, mode: str, outcome: str) -> None:
        self.outcomes.add(outcome)
        modes = self.affected.setdefault(env, [])
        if mode and mode not in modes:
            modes.append(mode)


def _new_cause(mode: ModeVerdict) -> str:
    """The mode's first reason without its mode prefix."""
    text = mode.reason.split("; ")[0]
    if mode.name and text.startswith(mode.name + ": "):
        text = text[len(mode.name) + 2 :]
    return text


def findings(all_results: list[dict[str, Any]]) -> list[Finding]:
    found: dict[str, Finding] = {}
    for result in all_results:
        env = result["env"]
        if result["status"] == "error":
            key = "harness error: " + NOISE.sub("N", result["reason"])[:160]
            found.setdefault(key, Finding(result["reason"], "harness error")).add(env, "", "error")
            continue
        modes = ([ModeVerdict.from_dict(result["setup"])] if result.get("setup") else []) + mode_verdicts(result)
        for mode in modes:
            new_reported = False
            for item in mode.items:
                if item.expectation:
                    status = "gone?" if item.outcome == "unexpected-pass" else "known"
                    entry = found.setdefault(
                        f"{status} {item.expectation}", Finding(f"{item.expectation}: {item.cause}", status)
                    )
                    entry.upstream = item.upstream
                    entry.add(env, mode.name, item.outcome)
                elif not new_reported:
                    new_reported = True  # one row per mode and cause, not per cell
                    cause = _new_cause(mode) or item.detail
                    key = "new " + NOISE.sub("N", cause)[:160]  # the same cause with other numbers
                    found.setdefault(key, Finding(cause, "new")).add(env, mode.name, item.outcome)
    order = {"new": 0, "harness error": 1, "gone?": 2, "known": 3}
    return sorted(found.values(), key=lambda f: (order[f.status], -len(f.affected), f.cause))


def _affected(finding: Finding) -> str:
    parts = [f"{env} ({', '.join(modes)})" if modes else env for env, modes in finding.affected.items()]
    return "; ".join(parts)


def render_findings(all_results: list[dict[str, Any]]) -> list[str]:
    out = heading("What this run found", "-")
    items = findings(all_results)
    expected = sum(1 for r in all_results if r["as_expected"])
    out += [
        f"{expected} of {len(all_results)} envs as expected. Each cause once: new ones first (they make the run "
        "fail), then harness errors, known defects that seem gone (an expected failure passed), and known "
        "defects (entries of ``expectations.toml``).",
        "",
    ]
    if not items:
        return out + ["Nothing failed.", ""]
    rows = []
    for finding in items:
        links = ", ".join(f"`{esc(_short(url))} <{url}>`__" for url in finding.upstream) or "─"
        outcomes = ", ".join(STATUS_LABEL[o] for o in sorted(finding.outcomes))
        rows.append([bold(finding.status), esc(finding.cause), outcomes, links, esc(_affected(finding))])
    return out + list_table(["Known?", "Cause", "Outcome", "Upstream", "Envs (modes)"], rows)


def _short(url: str) -> str:
    """ "jrief/django-websocket-redis#180" for an issue URL, else the URL."""
    match = re.match(r"https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)", url)
    return f"{match[1]}#{match[2]}" if match else url
