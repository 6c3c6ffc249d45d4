"""The report's real-browser marks: per server mode (the summary's "Real browser" column)
and per Python column of a stack's grid (its "real browser" row).

The browser check runs once per server (on the first mode of each, or in every mode
with ``--every-mode``): a layer's row shows its server's result (DECISIONS 8).  A mark
is ✓, or ✗ with the first console error or close code, and the negotiated extensions;
─ not tested, with the reason (no browser installed, or the check was not run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.matrix.releases import split_mode
from harness.results.schema import STATUS_SYMBOL, mode_verdicts

CHECK_ITEM = "check:real browser"
SHORT = 100  # characters of a finding shown in a cell; the env's section has the rest


def has_browser(all_results: Sequence[dict[str, Any]]) -> bool:
    """Whether any result carries the browser check (older results have no column for it)."""
    return any("browser" in server for result in all_results for server in result["servers"])


def _fact(result: dict[str, Any], mode: str) -> tuple[str, dict[str, Any]] | None:
    """(the mode it ran in, the browser fact) for ``mode``'s server: its own first run, or
    the first run of the same server in another mode."""
    server = split_mode(mode)[0]
    runs = [s for s in result["servers"] if "browser" in s and s.get("run", 0) == 0]
    own = next((s for s in runs if s["name"] == mode), None)
    same = own or next((s for s in runs if split_mode(s["name"])[0] == server), None)
    return (same["name"], same["browser"]) if same else None


def _outcome(result: dict[str, Any], mode: str, ok: bool) -> str:
    """The check's stored verdict in the mode it ran ("known" when an expectation names it)."""
    for verdict in mode_verdicts(result):
        if verdict.name == mode:
            item = next((i for i in verdict.items if i.item == CHECK_ITEM), None)
            if item is not None:
                return item.outcome
    return "pass" if ok else "fail"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def browser_cell(result: dict[str, Any], mode: str) -> str:
    """"✓ permessage-deflate", "✗ console error: … (extensions: none)", "─ not tested: no browser"."""
    if not result.get("server_checks", True):  # a row of full that leaves it to its column's
        return f"{STATUS_SYMBOL['not-tested']} not run here: see {result['server_checks_row']}"
    found = _fact(result, mode)
    if found is None:
        return f"{STATUS_SYMBOL['not-tested']} not tested"
    ran_in, fact = found
    if "not_tested" in fact:
        return f"{STATUS_SYMBOL['not-tested']} not tested: {_short(str(fact['not_tested']))}"
    outcome = _outcome(result, ran_in, bool(fact.get("ok")))
    extensions = fact.get("extensions") or "none"
    mark = STATUS_SYMBOL[outcome] + (" known" if outcome == "known" else "")
    if fact.get("ok"):
        return f"{mark} extensions: {extensions}"
    errors = fact.get("console_errors") or []
    first = f"console error: {errors[0]}" if errors else str(fact.get("detail", "")).split("; ")[0]
    close = f"; {fact['close']}" if fact.get("close") and fact["close"] not in first else ""
    return f"{mark} {_short(first)}{close}; extensions: {extensions}"


def column_mark(results: Sequence[dict[str, Any]]) -> tuple[str, str | None]:
    """One grid cell of a stack's "real browser" row, over the envs of one Python column:
    ✓ when every server's check passed, else each server's mark ("✗ runserver ✓ uwsgi");
    (mark, env to link) or ("─", None) where none ran the check."""
    marks: dict[str, str] = {}
    linked = None
    for result in results:
        for verdict in mode_verdicts(result):
            found = _fact(result, verdict.name)
            if found is None or "not_tested" in found[1]:
                continue
            server = split_mode(verdict.name)[0]
            symbol = STATUS_SYMBOL[_outcome(result, found[0], bool(found[1].get("ok")))]
            if marks.get(server) != STATUS_SYMBOL["fail"]:  # a failure anywhere in the column shows
                marks[server] = symbol
            linked = linked or result["env"]
    if not marks:
        return STATUS_SYMBOL["not-tested"], None
    if len(set(marks.values())) == 1:
        return next(iter(marks.values())), linked
    return " ".join(f"{symbol} {server}" for server, symbol in marks.items()), linked
