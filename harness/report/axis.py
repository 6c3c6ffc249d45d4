"""The stack axis in the report: each env's release line, the release its row
tested and why, its pins and overrides; and every ``-latest`` or ``--with`` env
beside its pinned env (what moved, and whether the verdict did).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from harness.matrix.envs import LATEST, split_latest
from harness.matrix.overrides import split_overrides
from harness.matrix.suites import split_suite
from harness.report.rst import esc, heading, list_table
from harness.results.schema import STATUS_SYMBOL

PICK_TEXT = {
    "declared": "the newest release of the line declaring this Python and Django",
    "admitted": "the newest release of the line whose requirements admit this pair, a resolver's pick, "
    "beyond its classifiers",
    "beyond": "no release of the line admits this pair: its newest, beyond declared support",
    "latest": "the newest release today",
}


def axis_facts(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, value) lines for an env's section: release line, pins, overrides."""
    release = result.get("release")
    if not release:
        return []
    tested = f"{result['stack']['name']} {result['stack']['version']}"
    facts = [("Release line", esc(f"{release['title']} ({release['line']}): {tested}, {PICK_TEXT[release['pick']]}"))]
    facts.append(("Pins", esc(release["pinning"])))
    overrides = result.get("overrides", [])
    if overrides:
        labels = [o["package"] + o["key"] + ("" if o["kind"] == "version" else f" ({o['value']})") for o in overrides]
        facts.append(("Overrides (--with)", esc(", ".join(labels))))
    return facts


def pinned_env(env: str) -> str | None:
    """The pinned env an override or -latest env stands beside (None for a pinned env)."""
    base, overrides = split_overrides(env)
    name, suite = split_suite(base)
    plain, latest = split_latest(name)
    if not overrides and not latest:
        return None
    return "-".join(filter(None, (plain, suite)))


@dataclass(frozen=True)
class Beside:
    env: str
    pinned: str
    before: str  # the pinned env's mark, or "absent"
    after: str
    moved: str  # "daphne 4.2.2 → 4.2.3; ..."


def moved_packages(pinned_packages: dict[str, str], other_packages: dict[str, str]) -> str:
    # One name per project: a release may spell it channels_redis, the next channels-redis.
    pinned = {canonicalize_name(k): v for k, v in pinned_packages.items()}
    other = {canonicalize_name(k): v for k, v in other_packages.items()}
    names = sorted(set(pinned) | set(other), key=str.lower)
    return "; ".join(f"{n} {pinned.get(n, '─')} → {other.get(n, '─')}" for n in names if pinned.get(n) != other.get(n))


def beside_pinned(all_results: list[dict[str, Any]]) -> list[Beside]:
    by_env = {r["env"]: r for r in all_results}
    out = []
    for result in all_results:
        pinned = pinned_env(result["env"])
        if pinned is None:
            continue
        base = by_env.get(pinned)
        before = STATUS_SYMBOL[base["status"]] if base else "absent"
        moved = moved_packages(base["stack"]["packages"] if base else {}, result["stack"]["packages"])
        out.append(Beside(result["env"], pinned, before, STATUS_SYMBOL[result["status"]], moved))
    return out


def render_beside(found: list[Beside]) -> list[str]:
    if not found:
        return []
    out = heading("Newer releases and overrides beside the pinned envs", "-")
    out += [
        f"Each ``-{LATEST}`` env (the newest releases today) and each ``--with`` env (``ENV@PKG...``) beside "
        "its pinned env: both verdicts, and every package whose installed version differs.",
        "",
    ]
    rows = [[esc(b.env), esc(b.pinned), b.before, b.after, esc(b.moved or "nothing")] for b in found]
    return out + list_table(["Env", "Pinned env", "Pinned", "This", "What moved"], rows)
