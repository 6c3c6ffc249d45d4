"""A conformance summary: counts and failed cases of one server, judged against
the expected outcomes, written to ``reports/results/conformance/<name>.json``
(the file the report reads), and kept in the work folder's cache by key."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from harness.conformance.cases import BEHAVIORS, CHAPTERS, chapter_of
from harness.conformance.wstest import CaseResult
from harness.results.files import write_atomic
from harness.run.expectations import CONFORMANCE_PREFIX, EnvFacts, Expectation
from harness.run.verdict import Observation, judge_item

ITEM_PREFIX = CONFORMANCE_PREFIX
SUMMARY = "summary.json"
CACHE_CASES = "cases.json"
REPORTS = "reports"


def item_of(case: str) -> str:
    """The item expectations select, e.g. ``conformance:6.4.1`` (the server is the entry's mode)."""
    return ITEM_PREFIX + case


def judge(
    base: dict[str, Any], cases: Sequence[CaseResult], facts: EnvFacts, expectations: Sequence[Expectation]
) -> dict[str, Any]:
    """``base`` (who, what, key) completed with counts, failed cases and their verdicts.

    A FAILED case is unexpected unless an entry names it; a case an entry says
    fails that did not is an unexpected pass.  NON-STRICT, INFORMATIONAL and
    UNIMPLEMENTED are Autobahn's own "not a failure" grades: counted, not judged.
    """
    mode = str(base["server"])
    failed, unexpected = [], []
    hit: set[str] = set()  # entries that named a FAILED case
    for case in cases:
        ok = case.behavior != "FAILED"
        item = item_of(case.case)
        verdict = judge_item(item, [Observation(item, ok, case.behavior)], facts, mode, expectations)
        if verdict.outcome == "unexpected-pass" and not _named_exactly(expectations, verdict.expectation, item):
            # A chapter-wide entry (a wildcard) need not fail every case it covers.
            verdict = dataclasses.replace(verdict, outcome="pass", as_expected=True)
        if not ok and verdict.expectation:
            hit.add(verdict.expectation)
        if not verdict.as_expected:
            what = "passed although expected to fail" if ok else f"FAILED ({case.description[:100]})"
            unexpected.append(f"{base['name']}: conformance {case.case} {what}")
        if not ok or verdict.outcome == "unexpected-pass":
            entry = asdict(case) | {"chapter": chapter_of(case.case), "outcome": verdict.outcome}
            entry |= {"expectation": verdict.expectation, "cause": verdict.cause, "upstream": verdict.upstream}
            entry["autobahn_expectation"] = case.expectation
            failed.append(entry)
    ran = {item_of(c.case) for c in cases}
    for stale in _stale(expectations, facts, mode, ran, hit):
        unexpected.append(f"{base['name']}: expectation {stale} names cases that ran, and none of them failed")
    counts = {b: sum(1 for c in cases if c.behavior == b) for b in BEHAVIORS}
    return base | {
        "status": "tested",
        "reason": "",
        "counts": counts,
        "total": len(cases),
        "failed": failed,
        "unexpected": unexpected,
        "as_expected": not unexpected,
    }


def _named_exactly(expectations: Sequence[Expectation], ident: str | None, item: str) -> bool:
    entry = next((e for e in expectations if e.id == ident), None)
    return entry is not None and item in entry.items


def _stale(expectations: Sequence[Expectation], facts: EnvFacts, mode: str, ran: set[str], hit: set[str]) -> list[str]:
    """Conformance entries selecting this server whose cases ran and none failed (the defect is gone)."""
    stale = []
    for entry in expectations:
        if entry.outcome != "fail" or entry.id in hit or not entry.items:
            continue
        if not any(p.startswith(ITEM_PREFIX) for p in entry.items):
            continue
        if any(entry.matches(facts, mode, item) for item in ran):
            stale.append(entry.id)
    return stale


def not_tested(base: dict[str, Any], reason: str) -> dict[str, Any]:
    """No verdict on the server: the tool, the interpreter or the start-up was missing."""
    empty = {b: 0 for b in BEHAVIORS}
    return base | {
        "status": "not-tested",
        "reason": reason,
        "counts": empty,
        "total": 0,
        "failed": [],
        "unexpected": [],
        "as_expected": True,
    }


def write_result(summary: dict[str, Any], results_dir: Path) -> Path:
    path = results_dir / f"{summary['name']}.json"
    write_atomic(path, json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    return path


def store_cache(
    cache_dir: Path, facts: dict[str, object], cases: Sequence[CaseResult], seconds: float, report_dir: Path
) -> None:
    """Keep the raw cases and the case reports under the key (replaced whole)."""
    partial = cache_dir.with_name(cache_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(report_dir, partial / REPORTS)
    payload = {"facts": facts, "seconds": seconds, "cases": [asdict(c) for c in cases]}
    (partial / CACHE_CASES).write_text(json.dumps(payload, indent=1))
    shutil.rmtree(cache_dir, ignore_errors=True)
    partial.rename(cache_dir)


def load_cache(cache_dir: Path, report_dir: Path) -> tuple[list[CaseResult], float] | None:
    """The cached cases (and their reports copied to ``report_dir``), or None on a miss."""
    try:
        payload = json.loads((cache_dir / CACHE_CASES).read_text())
        cases = [CaseResult(**c) for c in payload["cases"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (report_dir / "index.json").is_file():
        shutil.rmtree(report_dir, ignore_errors=True)
        shutil.copytree(cache_dir / REPORTS, report_dir)
    return cases, float(payload.get("seconds", 0.0))


def chapter_title(chapter: str) -> str:
    return CHAPTERS.get(chapter, f"chapter {chapter}")
