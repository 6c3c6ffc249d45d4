"""The report's at-a-glance part: one grid per stack release (Django rows, Python
columns, each cell ✓, ✗ or ─ linking to its env's section) and, given a previous
results folder, every cell that flipped since.

The grids' rows and columns come from the matrix (harness/matrix.py): a cell of
the ``full`` label with no results file shows ─ and is listed under its grid,
so a missing env is visible rather than silently absent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.matrix.envs import LATEST, Version, split_env_name, split_latest
from harness.matrix.labels import LABELS
from harness.matrix.overrides import split_overrides
from harness.matrix.releases import STACK_RELEASES
from harness.matrix.suites import split_suite
from harness.report.axis import moved_packages
from harness.report.browser import column_mark, has_browser
from harness.report.rst import esc, heading, list_table
from harness.results.schema import STATUS_SYMBOL as SYMBOL
from harness.results.schema import mode_verdicts

ABSENT = "absent"


@dataclass(frozen=True)
class EnvKey:
    """What an env name says, for placing it in a grid."""

    env: str
    python: Version
    django: Version
    release_key: str
    variant: str = ""  # a variant or suite env is listed under its release's grid, never in a cell


def env_key(env: str) -> EnvKey | None:
    parts = split_env_name(env)
    if parts is None:
        return None
    python, django, release_key, variant = parts
    base, overrides = split_overrides(env)
    suite = split_suite(base)[1]
    latest = LATEST if split_latest(split_suite(base)[0])[1] else ""
    return EnvKey(env, python, django, release_key, "-".join(filter(None, (variant, latest, suite))) + overrides)


def env_cell_text(result: dict[str, Any]) -> str:
    """One grid cell: the env's mark, or its modes' marks when they differ
    ("✗ runserver (known) ✓ uwsgi"); "known" where every failure is a known one."""
    modes = mode_verdicts(result)

    def mark(outcome: str) -> str:
        return SYMBOL[outcome] + (" known" if outcome == "known" else "")

    marks = {m.name: mark(m.outcome) for m in modes}
    if len(set(marks.values())) <= 1:
        return mark(result["status"])
    groups: dict[str, list[str]] = {}
    for name, text in marks.items():
        groups.setdefault(text, []).append(name)
    common = max(groups, key=lambda text: len(groups[text]))
    parts = []
    for text, names in groups.items():
        symbol, _, known = text.partition(" ")
        listed = "others" if text == common and len(names) > 2 else " ".join(names)
        parts.append(f"{symbol} {listed}" + (f" ({known})" if known else ""))
    return " ".join(parts)


@dataclass(frozen=True)
class GridCell:
    symbol: str  # "✓", "✗", "─", "✓ uwsgi ✗ runserver", or "" where the matrix has no env
    env: str | None  # the env whose section the cell links to (None: no results file)


@dataclass(frozen=True)
class Grid:
    title: str
    pythons: list[Version]
    rows: list[tuple[Version, list[GridCell]]]
    missing: list[str]  # envs of the matrix without a results file
    variants: list[GridCell] = field(default_factory=list)  # variant envs with results, listed under the grid
    browser: list[GridCell] = field(default_factory=list)  # the "real browser" row, one cell per Python
    server_checks_everywhere: bool = True  # no row left the server checks to its column's


def _title(release_key: str) -> str:
    release = STACK_RELEASES.get(release_key)
    return release.title if release else release_key


def _cell(result: dict[str, Any]) -> str:
    """The cell's mark, with the release tested where a row picked an older one of its line."""
    text = env_cell_text(result)
    release = STACK_RELEASES.get(result.get("release", {}).get("line", ""))
    tested = result["stack"]["version"]
    return f"{text} ({tested})" if release and len(release.releases) > 1 and tested != release.version else text


def grids(all_results: list[dict[str, Any]]) -> list[Grid]:
    """One grid per stack release that has results, in the matrix's order."""
    results = {result["env"]: result for result in all_results}
    planned = [key for key in map(env_key, LABELS.get("full", ())) if key]
    found = [key for key in map(env_key, results) if key]
    order = list(dict.fromkeys([*STACK_RELEASES, *(key.release_key for key in found)]))
    out = []
    for release_key in order:
        if not any(key.release_key == release_key for key in found):
            continue
        keys = {key.env: key for key in [*planned, *found] if key.release_key == release_key}
        defaults = [key for key in keys.values() if not key.variant]
        cells = {(key.django, key.python): key.env for key in defaults}
        pythons = sorted({key.python for key in defaults})
        rows = []
        for django in sorted({key.django for key in defaults}):
            row = []
            for python in pythons:
                env = cells.get((django, python))
                if env is None:
                    row.append(GridCell("", None))
                elif env in results:
                    row.append(GridCell(_cell(results[env]), env))
                else:
                    row.append(GridCell(SYMBOL["not-tested"], None))
            rows.append((django, row))
        missing = sorted((env for env in keys if env not in results), key=lambda e: (keys[e].django, keys[e].python))
        listed = [key.env for key in keys.values() if key.variant and key.env in results]
        variants = [GridCell(env_cell_text(results[env]), env) for env in listed]
        ran = [results[env] for env in keys if env in results]
        browser = []
        if has_browser(ran):  # every env of the release, suites and variants included, by Python
            browser = [GridCell(*column_mark([r for r in ran if keys[r["env"]].python == p])) for p in pythons]
        everywhere = all(r.get("server_checks", True) for r in ran)
        out.append(Grid(_title(release_key), pythons, rows, missing, variants, browser, everywhere))
    return out


@dataclass(frozen=True)
class Change:
    env: str
    before: str  # a symbol, or "absent"
    after: str
    reason: str  # the current one-line reason, if any
    moved: str = ""  # installed packages whose version differs ("daphne 4.2.2 → 4.2.3")


def changes(previous: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[Change]:
    """Every env whose cell, or any installed version, differs between two results folders
    (appeared and vanished ones too)."""
    before = {result["env"]: result for result in previous}
    after = {result["env"]: result for result in current}
    out = []
    for env in sorted(before.keys() | after.keys()):
        was = SYMBOL[before[env]["status"]] if env in before else ABSENT
        now = SYMBOL[after[env]["status"]] if env in after else ABSENT
        both = env in before and env in after
        moved = moved_packages(before[env]["stack"]["packages"], after[env]["stack"]["packages"]) if both else ""
        if was != now or moved:
            out.append(Change(env, was, now, after[env]["reason"] if env in after else "", moved))
    return out


# RST rendering ---------------------------------------------------------------


def _version(version: Version) -> str:
    return ".".join(map(str, version))


def _link(text: str, env: str | None) -> str:
    # An anonymous reference to the env's section title (an implicit target).
    return f"`{text} <{env}_>`__" if env and text else text


def render_grids(all_grids: list[Grid]) -> list[str]:
    out = heading("At a glance", "-")
    out += [
        "One grid per stack release: Django versions down, Python versions across. ✓ works, ✗ does "
        'not (the env\'s section says why; "known" when every failure is a known upstream defect), '
        "≈ flaky, ⚠ harness error (no verdict on the stack), ─ not tested; where the server modes "
        'differ, each is named ("✓ uwsgi ✗ runserver"). Each mark links to its env. The cells are '
        "what the stack and Django declare plus one step past each edge.",
        "",
    ]
    if any(grid.browser for grid in all_grids):
        out += [
            'The row "real browser" is the chat page in headless Chromium (john logs in through the form '
            "and chats with scripted admin and mary), over every env of that Python column: ✓ when every "
            "server's check passed, else each server's mark; ─ not tested (no browser installed, or no "
            "row of that Python ran the server checks).",
            "",
        ]
    if any(not grid.server_checks_everywhere for grid in all_grids):
        out += [
            "A row that only ``full`` or ``wide`` adds leaves the server checks (the real browser, message "
            "size, bad frames, a plain GET, a foreign Origin) to one row of its Django line: the newest "
            "Python the stack line declares for it. Its cell judges the delivery matrix and the per-mode "
            "checks in every server × layer mode (README, The full matrix).",
            "",
        ]
    for grid in all_grids:
        out += heading(grid.title, "`")  # the level of the env sections
        header = ["Django", *(_version(p) for p in grid.pythons)]
        rows = [[_version(django), *(_link(cell.symbol, cell.env) for cell in row)] for django, row in grid.rows]
        if grid.browser:
            rows.append(["real browser", *(_link(cell.symbol, cell.env) for cell in grid.browser)])
        out += list_table(header, rows)
        if grid.variants:
            listed = ", ".join(_link(f"{cell.symbol} {cell.env}", cell.env) for cell in grid.variants)
            out += [f"Variants: {listed}.", ""]
        if grid.missing:
            out += [f"No results file yet for {len(grid.missing)} env(s): {', '.join(grid.missing)}.", ""]
    return out


def render_changes(found: list[Change], since: str, current_envs: set[str]) -> list[str]:
    out = heading("Changed since the previous results", "-")
    out += [f"Compared with ``{since}``.", ""]
    if not found:
        return out + ["No cell and no installed version changed.", ""]
    rows = [
        [_link(c.env, c.env if c.env in current_envs else None), c.before, c.after, esc(c.moved), esc(c.reason)]
        for c in found
    ]
    return out + list_table(["Env", "Before", "Now", "What moved", "Reason now"], rows)
