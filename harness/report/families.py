"""Check families beyond delivery (security, robustness, sessions, browser): on each
env page a table with the checks down and the server modes across, each cell the
verdict and the observed value; on the main page one grid per family, the envs
down and the checks across, each cell naming the servers that pass and fail.

Built over whatever families the results carry (``record_check(..., family=)``),
so a new family needs no code here.  A check that runs once per server (DECISIONS 8)
is shown on each of that server's modes.
"""

from __future__ import annotations

from typing import Any

from harness.matrix.releases import split_mode
from harness.report.blocks import Block, Heading, Para, Table
from harness.report.rst import esc, heading, list_table

DELIVERY = "delivery"
ORDER = ("security", "robustness", "sessions", "browser")
VALUE_CHARS = 48  # an observed value longer than this is cut in a cell (the env page has the detail)


def _families(result: dict[str, Any]) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """family -> check name -> mode -> the check of the mode's first run."""
    out: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for check in result.get("checks", []):
        family = check.get("family") or DELIVERY
        if family == DELIVERY or check.get("run", 0) != 0:
            continue
        out.setdefault(family, {}).setdefault(check["name"], {})[check["server"]] = check
    order = {name: index for index, name in enumerate(ORDER)}
    return dict(sorted(out.items(), key=lambda item: (order.get(item[0], len(ORDER)), item[0])))


def _modes(result: dict[str, Any]) -> list[str]:
    return list(dict.fromkeys(s["name"] for s in result.get("servers", [])))


def _per_mode(by_mode: dict[str, dict[str, Any]], modes: list[str]) -> dict[str, dict[str, Any]]:
    """Each mode's check; a mode without it takes its server's (a per-server check)."""
    out = {}
    for mode in modes:
        check = by_mode.get(mode) or next(
            (c for m, c in by_mode.items() if split_mode(m)[0] == split_mode(mode)[0]), None
        )
        if check is not None:
            out[mode] = check
    return out


def cell_text(check: dict[str, Any] | None) -> str:
    if check is None:
        return "─"
    value = check.get("value")
    shown = "" if value in (None, "") else str(value)
    if len(shown) > VALUE_CHARS:
        shown = shown[: VALUE_CHARS - 1] + "…"
    return ("✓" if check["ok"] else "✗") + (f" {shown}" if shown else "")


def family_blocks(result: dict[str, Any]) -> list[Block]:
    """The env page's "Security and robustness" table (and any other family's)."""
    families = _families(result)
    if not families:
        return []
    modes = _modes(result)
    title = " and ".join(name.capitalize() if i == 0 else name for i, name in enumerate(families))
    out: list[Block] = [Heading(title, 2)]
    out.append(
        Para(
            "Checks down, server modes across: ✓ or ✗ and the observed value (a limit, a close code, "
            "a time). Checks that do not depend on the layer run once per server and show on each "
            "of its modes; the run's detail below has the full text."
        )
    )
    rows = []
    for family, checks in families.items():
        for name, by_mode in checks.items():
            shown = _per_mode(by_mode, modes)
            rows.append([family, name, *(cell_text(shown.get(mode)) for mode in modes)])
    out.append(Table(["Family", "Check", *modes], rows))
    return out


def _server_summary(by_mode: dict[str, dict[str, Any]]) -> str:
    """ "✓" when every server passes, else "✓ uvicorn ✗ daphne, runserver" (a server fails
    when any of its modes fails)."""
    servers: dict[str, bool] = {}
    for mode, check in by_mode.items():
        server = split_mode(mode)[0]
        servers[server] = servers.get(server, True) and bool(check["ok"])
    good = [s for s, ok in servers.items() if ok]
    bad = [s for s, ok in servers.items() if not ok]
    if not bad:
        return "✓"
    if not good:
        return "✗"
    return f"✓ {', '.join(good)} ✗ {', '.join(bad)}"


def render_family_grids(all_results: list[dict[str, Any]]) -> list[str]:
    """One grid per family across the envs (RST, for the main page's "At a glance")."""
    per_family: dict[str, dict[str, dict[str, dict[str, dict[str, Any]]]]] = {}
    for result in all_results:
        for family, checks in _families(result).items():
            per_family.setdefault(family, {})[result["env"]] = checks
    out: list[str] = []
    for family, envs in per_family.items():
        names = list(dict.fromkeys(name for checks in envs.values() for name in checks))
        out += heading(f"{family.capitalize()} checks", "`")
        out += [
            "Envs down, checks across: ✓ every server passes, ✗ none does, else the servers named; "
            "─ not run. The env's page has each mode's observed value.",
            "",
        ]
        rows = [
            [f"`{esc(env)} <{env}_>`__", *(_server_summary(checks[n]) if n in checks else "─" for n in names)]
            for env, checks in envs.items()
        ]
        out += list_table(["Env", *(esc(name) for name in names)], rows)
    return out
