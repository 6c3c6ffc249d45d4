"""The top of the main page: "What this run found", each distinct cause once,
with the envs and modes it affects, its upstream reference, and whether it is
a known defect (an entry of expectations.toml) or new."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from harness.report.rst import bold, esc, heading, list_table
from harness.results.schema import STATUS_LABEL, ModeVerdict, mode_verdicts
from harness.run.expectations import LOG_ITEM

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
                elif item.item.startswith(LOG_ITEM):  # one row per exception the servers logged
                    key = "new " + item.item
                    cause = f"server logged {item.item[len(LOG_ITEM) :]} (unprovoked): {item.detail}"
                    found.setdefault(key, Finding(cause, "new")).add(env, mode.name, item.outcome)
                elif not new_reported:
                    new_reported = True  # one row per mode and cause, not per cell
                    cause = _new_cause(mode) or item.detail
                    key = "new " + NOISE.sub("N", cause)[:160]  # the same cause with other numbers
                    found.setdefault(key, Finding(cause, "new")).add(env, mode.name, item.outcome)
    order = {"new": 0, "harness error": 1, "gone?": 2, "known": 3}
    return sorted(found.values(), key=lambda f: (order[f.status], -len(f.affected), f.cause))


# Envs named in one cell: a full matrix's list (a known defect in 50 envs, every mode
# named) passed docutils' 10,000-character line limit and stopped the report.
AFFECTED_ENVS = 40


def affected_text(affected: dict[str, list[str]], modes_of: dict[str, list[str]] | None = None) -> str:
    """ "env; env (mode, mode)": an env alone where every mode it ran is affected (``modes_of``),
    at most AFFECTED_ENVS envs, then how many more."""
    parts = []
    for env, modes in list(affected.items())[:AFFECTED_ENVS]:
        whole = not modes or (modes_of is not None and set(modes_of.get(env, ())) <= set(modes))
        parts.append(env if whole else f"{env} ({', '.join(modes)})")
    more = len(affected) - AFFECTED_ENVS
    return "; ".join(parts) + (f"; and {more} more envs (each env's section has it)" if more > 0 else "")


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
    modes_of = {r["env"]: [mode.name for mode in mode_verdicts(r)] for r in all_results}
    rows = []
    for finding in items:
        links = ", ".join(f"`{esc(_short(url))} <{url}>`__" for url in finding.upstream) or "─"
        outcomes = ", ".join(STATUS_LABEL[o] for o in sorted(finding.outcomes))
        affected = esc(affected_text(finding.affected, modes_of))
        rows.append([bold(finding.status), esc(finding.cause), outcomes, links, affected])
    return out + list_table(["Known?", "Cause", "Outcome", "Upstream", "Envs (modes, where not all)"], rows)


def _short(url: str) -> str:
    """ "jrief/django-websocket-redis#180" for an issue URL, else the URL."""
    match = re.match(r"https://github\.com/([^/]+/[^/]+)/(?:issues|pull)/(\d+)", url)
    return f"{match[1]}#{match[2]}" if match else url
