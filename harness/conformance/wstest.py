"""One run of ``wstest -m fuzzingclient`` against one echo URL, and what it found.

wstest writes ``index.json`` (agent → case → behavior, behaviorClose, duration,
remoteCloseCode, reportfile) and one JSON + HTML report per case, all at the end
of the run; a run stopped at its time limit leaves none, and is reported so.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.conformance.cases import BEHAVIORS, case_sort_key
from harness.errors import HarnessError
from harness.sut.procs import run_command

AGENT = "server"
INDEX = "index.json"
# A fast server runs cases 1-10 in ~30 s.  Chapter 9 ("Limits/performance") is
# what takes long where a server does not echo: each case waits out its own
# timeout (60-480 s; uWSGI under ws4redis spends ~5 min there).  "all" adds
# compression (~12 of the full suite's 13 minutes).
TIMEOUT_QUICK = 300.0
TIMEOUT_CHAPTER_9 = 900.0
TIMEOUT_ALL = 1800.0
_RUNNING = re.compile(r"Running test case ID (\S+)")


class WstestFailed(HarnessError):
    """wstest ran but left no results (timed out, crashed): the cases are not tested."""


@dataclass
class CaseResult:
    case: str
    behavior: str
    behavior_close: str
    close_code: int | None
    description: str
    expectation: str  # Autobahn's own statement of what a correct server does
    report: str  # the case's HTML report, relative to the run's report folder
    duration_ms: int | None


@dataclass
class WstestRun:
    cases: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        found = Counter(c.behavior for c in self.cases)
        return {behavior: found.get(behavior, 0) for behavior in BEHAVIORS}


def timeout_for(patterns: list[str]) -> float:
    if any(p == "*" or p.split(".")[0] in ("12", "13") for p in patterns):
        return TIMEOUT_ALL  # compression
    return TIMEOUT_CHAPTER_9 if any(p == "9" or p.startswith("9.") for p in patterns) else TIMEOUT_QUICK


def spec(url: str, patterns: list[str], outdir: Path) -> dict[str, Any]:
    return {
        "outdir": str(outdir),
        "servers": [{"agent": AGENT, "url": url}],
        "cases": patterns,
        "exclude-cases": [],
        "exclude-agent-cases": {},
    }


def run_wstest(wstest: Path, url: str, patterns: list[str], outdir: Path, timeout: float) -> WstestRun:
    """Run the cases against ``url``; the case reports land in ``outdir`` (emptied first)."""
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    spec_path = outdir / "spec.json"
    spec_path.write_text(json.dumps(spec(url, patterns, outdir), indent=2))
    log_path = outdir / "wstest.log"
    # cwd=outdir: wstest may write stray files (twistd logs) where it runs.
    outcome = run_command(
        [str(wstest), "-m", "fuzzingclient", "-s", str(spec_path)], timeout=timeout, log_path=log_path, cwd=outdir
    )
    if outcome.returncode is None:
        started = _RUNNING.findall(outcome.output)
        at = f", at case {started[-1]} ({len(started)} started)" if started else ""
        raise WstestFailed(f"wstest did not finish within {timeout:.0f} s{at}")
    if not (outdir / INDEX).is_file():
        last = outcome.output.strip().splitlines()[-1:] or ["no output"]
        raise WstestFailed(f"wstest exited with code {outcome.returncode} and no {INDEX}: {last[0][:200]}")
    return WstestRun(read_cases(outdir), round(outcome.seconds, 1))


def read_cases(outdir: Path) -> list[CaseResult]:
    """Every case of ``outdir/index.json``, with its description from the case's own report."""
    try:
        index = json.loads((outdir / INDEX).read_text(encoding="utf-8"))
        by_case: dict[str, dict[str, Any]] = index[AGENT]
    except (OSError, ValueError, KeyError) as exc:
        raise WstestFailed(f"{outdir / INDEX} is unreadable ({exc})") from exc
    found = []
    for case in sorted(by_case, key=case_sort_key):
        entry = by_case[case]
        report_json = outdir / str(entry.get("reportfile", ""))
        try:
            details = json.loads(report_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            details = {}
        found.append(
            CaseResult(
                case=case,
                behavior=str(entry.get("behavior", "?")),
                behavior_close=str(entry.get("behaviorClose", "?")),
                close_code=entry.get("remoteCloseCode"),
                description=str(details.get("description", "")),
                expectation=str(details.get("expectation", "")),
                report=str(entry.get("reportfile", "")).replace(".json", ".html"),
                duration_ms=entry.get("duration"),
            )
        )
    return found
