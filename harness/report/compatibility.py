"""The compatibility part of the main page: the summary (one row per env and
server mode, in the seed report's columns) and one short section per env (its
facts, its known failures by entry, and each other mode that did not pass with
why), with a link to the env's detail page (every mode's verdict, grids, logs and
tables).

Rows are built once (``SummaryRow``) from the stored verdicts and rendered as RST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.matrix.suites import SUITES
from harness.report.axis import axis_facts
from harness.report.browser import browser_cell, has_browser
from harness.report.processes import processes_lines
from harness.report.rst import NO, UNKNOWN, YES, bold, esc, heading, list_table
from harness.results.schema import STATUS_LABEL, ItemVerdict, ModeVerdict, mode_verdicts


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
    browser: str = ""  # the "Real browser" column ("" when no result has the browser check)


def detail_link(env: str) -> str:
    return f"envs/{env}.html"


def first_run(result: dict[str, Any], mode: str) -> dict[str, Any] | None:
    return next((s for s in result["servers"] if s["name"] == mode and s.get("run", 0) == 0), None)


def verdict_text(verdict: ModeVerdict | None, env_status: str = "") -> str:
    """A mode's (or env's) verdict as the report writes it: "✗ known failure", "≈ flaky 1/2"."""
    if verdict is None:
        return STATUS_LABEL[env_status]
    text = STATUS_LABEL[verdict.outcome]
    flaky = [item for item in verdict.items if item.outcome == "flaky"]
    if flaky:
        text += f" {flaky[0].failures}/{flaky[0].runs}"
    if not verdict.as_expected and verdict.outcome not in ("fail", "error"):
        text += " (unexpected)"
    return text


def summary_rows(all_results: list[dict[str, Any]]) -> list[SummaryRow]:
    rows = []
    browser = has_browser(all_results)
    for result in all_results:
        python, django = f"Python {result['python']}", f"Django {result['django']}"
        stack = f"{result['stack']['name']} {result['stack']['version']}"
        redis_version = result["redis"].get("version")
        stack += f", Redis {redis_version}" if redis_version else ""
        modes = mode_verdicts(result)
        if not modes:
            works = verdict_text(None, result["status"])
            web = UNKNOWN if result["status"] == "not-tested" else NO
            untried = "─ not tested" if browser else ""
            rows.append(SummaryRow(python, django, result["env"], stack, "─", web, UNKNOWN, works, untried))
            continue
        for verdict in modes:
            server = first_run(result, verdict.name)
            started = bool(server and server["started"])
            items = [i for i in verdict.items if i.item.startswith(("cell:", "check:", "scenarios"))]
            channels = UNKNOWN if not started else (YES if not items else NO)
            rows.append(
                SummaryRow(
                    python,
                    django,
                    result["env"],
                    stack,
                    verdict.name,
                    YES if started else NO,
                    channels,
                    verdict_text(verdict),
                    browser_cell(result, verdict.name) if browser else "",
                )
            )
    return rows


def render_summary(rows: list[SummaryRow]) -> list[str]:
    table = [
        [r.python, r.django, f"`{r.env}`_", esc(r.stack), esc(r.server), r.web_server, r.channels, bold(r.works)]
        for r in rows
    ]
    header = ["Python", "Django", "More details", "Stack", "Server", "Web server works?", "Channels work?"]
    header.append("Does it work?")
    if any(r.browser for r in rows):  # results from before the browser check get no empty column
        header.append("Real browser")
        table = [[*cells, esc(r.browser or "─")] for cells, r in zip(table, rows, strict=True)]
    return list_table(header, table)


def _item_text(item: ItemVerdict) -> str:
    runs = f" ({item.failures}/{item.runs} runs failed)" if item.runs > 1 else ""
    # An entry's cause is told once, in "What this run found": here its id (a full
    # matrix repeated each cause in every mode of every env, 60 % of the main page).
    why = item.expectation or item.detail
    return f"{item.item}: {STATUS_LABEL[item.outcome]}{runs} — {why}"


VERDICT_HEADER = ["Server mode", "Verdict", "Runs", "Items passed", "What did not pass, and why"]


def _verdicts(result: dict[str, Any]) -> list[ModeVerdict]:
    """Each mode's verdict, the setup's first when it did not pass."""
    setup = [ModeVerdict.from_dict(result["setup"])] if result.get("setup") else []
    return [m for m in setup if m.outcome != "pass"] + mode_verdicts(result)


def _row(verdict: ModeVerdict) -> list[str]:
    """A mode's verdict as plain text cells, in VERDICT_HEADER's order."""
    shown = verdict.items[:6]
    more = len(verdict.items) - len(shown)
    items = "; ".join(_item_text(i) for i in shown) + (f"; and {more} more" if more else "")
    runs = f"{verdict.runs}" if verdict.runs else "─"
    return [verdict.name or "setup", verdict_text(verdict), runs, f"{verdict.passed}/{verdict.item_count}", items]


def verdict_rows(result: dict[str, Any]) -> list[list[str]]:
    """Every mode's verdict (the env's own page)."""
    return [_row(verdict) for verdict in _verdicts(result)]


def _only_known(verdict: ModeVerdict) -> bool:
    return verdict.outcome == "known" and all(i.outcome == "known" for i in verdict.items)


def known_by_entry(verdicts: list[ModeVerdict]) -> dict[str, tuple[list[str], list[str]]]:
    """Each expectation's (items, modes) over modes that failed only as known."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for verdict in filter(_only_known, verdicts):
        mode = verdict.name or "setup"
        for item in verdict.items:
            items, modes = found.setdefault(item.expectation or "", ([], []))
            items += [item.item] if item.item not in items else []
            modes += [mode] if mode not in modes else []
    return found


def render_verdicts(result: dict[str, Any]) -> list[str]:
    """What did not plainly pass. A known failure is one line per expectation, with the
    modes it held in (a full matrix's per-mode rows repeated the same few entries in
    every mode of every env); any other outcome keeps its mode's row. A passing mode's
    row would repeat the summary's: the env's page has every mode's."""
    verdicts = _verdicts(result)
    out: list[str] = []
    known = known_by_entry(verdicts)
    if known:
        every = {v.name for v in verdicts if v.name}  # the modes (the setup has no name)
        out += ["Known failures, by entry (each cause in `What this run found`_):", ""]
        for entry, (items, modes) in known.items():
            where = "every mode" if len(modes) > 1 and set(modes) == every else ", ".join(modes)
            out.append(f"- ``{entry}``: {esc(', '.join(items))} — in {esc(where)}")
        out.append("")
    rows = [_row(v) for v in verdicts if v.outcome != "pass" and not _only_known(v)]
    if rows:
        out += ["Modes that did not plainly pass (items: the start, the scenarios, each delivery cell and check):", ""]
        table = [[esc(name), bold(verdict), runs, passed, esc(items)] for name, verdict, runs, passed, items in rows]
        out += list_table(VERDICT_HEADER, table)
    return out


# The outcome line's reason, cut: docutils refuses a line over 10 000 characters, a
# dead server's reason names every cell of every mode (27 KB seen), and the verdicts
# below say the rest (300 keeps a full matrix's main page short).
REASON_CHARS = 300


def render_env(result: dict[str, Any]) -> list[str]:
    out = heading(result["env"], "`")
    status = STATUS_LABEL[result["status"]]
    expected = "as expected" if result["as_expected"] else "**unexpected**"
    if result["status"] == "error":
        expected = "no verdict on the stack"
    reason = result["reason"]
    if result["status"] == "known" and result["as_expected"]:
        reason = ""  # the known failures, listed by entry below, are all it would say
    elif len(reason) > REASON_CHARS:  # every failing item of every mode: the list below has them
        reason = reason[:REASON_CHARS] + "… (the verdicts below say the rest)"
    out += [f"Outcome: **{status}** ({expected})" + (f" — {esc(reason)}" if reason else ""), ""]
    redis = result["redis"]
    facts = [
        ("Python", result["python"]),
        ("Django", result["django"]),
        ("Stack", f"{result['stack']['name']} {result['stack']['version']}"),
        ("Redis", f"{redis['version']} ({redis['source']})" if redis.get("version") else "not started"),
        ("Reproduce", f"``tox -e {result['env']}``"),
    ]
    facts += axis_facts(result)
    if result.get("variant"):
        facts.append(("Variant", esc(result["variant"])))
    if result.get("suite"):
        facts.append(("Suite", esc(SUITES[result["suite"]].summary if result["suite"] in SUITES else result["suite"])))
    if not result.get("server_checks", True):
        where = f"they run in ``{result['server_checks_row']}``, its column's row (README, The full matrix)"
        facts.append(("Server checks", f"not run in this row: {where}"))
    if "fast_password_hasher" in result:
        fast = result["fast_password_hasher"]
        hasher = "Django's MD5 hasher first (as Django advises for tests)" if fast else "the project's own"
        facts.append(("Password hasher", hasher))
    timings = result["timings"]
    if timings:
        wanted = ("install", "migrate", "start", "scenarios")
        facts.append(("Timings (s)", ", ".join(f"{k} {v}" for k, v in timings.items() if k in wanted)))
    if result["servers"]:
        facts.append(("Details", f"`every server run, logs and delivery tables <{detail_link(result['env'])}>`__"))
    out += [f":{key}: {value}" for key, value in facts] + [""]
    out += processes_lines(result)
    for line in result["unexpected"]:
        out += [f"- Unexpected: {esc(line)}"]
    out += [""] if result["unexpected"] else []
    for entry in result.get("stale", []):
        out += [f"Stale expectation ``{entry}``: it selects this env but names none of its items.", ""]
    return out + render_verdicts(result)
