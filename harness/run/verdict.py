"""The verdict of each item, server mode and env, computed once by the runner and
stored in the results; the report and the command line only read it.

An item is what can pass or fail on its own: a stage ("install", "migrate",
"start", "scenarios"), a delivery cell ("cell:socket-user-admin-john") or a
check ("check:staff-only room").  Each item's runs are compared with the
expected outcomes (``expectations.toml``):

- pass: it passed every run, and nothing expected otherwise;
- fail: it failed every run, unexpectedly;
- known: it failed as an expectation says;
- unexpected-pass: an expectation says it fails, and it passed every run (the
  known defect is gone: say so loudly);
- flaky: it passed some runs and failed others ("flaky k/N");
- logged-errors: a server-log item ("log:<exception>", one per exception the
  server logged during the run, unprovoked) that no expectation names: the
  mode's checks may all pass, but it is not a plain pass;
- error: the harness failed itself (no verdict on the stack);
- not-tested: the env could not be tried (no interpreter).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.results.schema import OUTCOME_RANK, ItemVerdict, ModeVerdict
from harness.run.expectations import LOG_ITEM, EnvFacts, Expectation, first_match

# The exit code of ``harness run`` (the worst env wins).
EXIT_AS_EXPECTED, EXIT_UNEXPECTED, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Observation:
    """One run of one item."""

    item: str
    ok: bool
    detail: str


def judge_item(
    item: str, runs: Sequence[Observation], env: EnvFacts, mode: str, expectations: Sequence[Expectation]
) -> ItemVerdict:
    """The verdict of one item over its runs."""
    failures = [run for run in runs if not run.ok]
    expected = first_match(expectations, env, mode, item)
    detail = failures[0].detail if failures else runs[-1].detail
    if item.startswith(LOG_ITEM) and failures:
        # Logged in some runs only is still logged: a log item exists only where it was seen.
        outcome = "known" if expected is not None else "logged-errors"
        as_expected = expected is not None
    elif not failures:
        outcome = "unexpected-pass" if expected is not None and expected.outcome == "fail" else "pass"
        as_expected = outcome == "pass"
    elif len(failures) < len(runs):
        outcome, as_expected = "flaky", expected is not None
    else:
        outcome = "known" if expected is not None else "fail"
        as_expected = expected is not None
    return ItemVerdict(
        item=item,
        outcome=outcome,
        as_expected=as_expected,
        failures=len(failures),
        runs=len(runs),
        detail=detail,
        expectation=expected.id if expected else None,
        cause=expected.cause if expected else None,
        upstream=list(expected.upstream) if expected else [],
    )


def worst(outcomes: Sequence[str]) -> str:
    return min(outcomes, key=OUTCOME_RANK.__getitem__) if outcomes else "pass"


def judge_mode(
    mode: str,
    runs: Sequence[Sequence[Observation]],
    env: EnvFacts,
    expectations: Sequence[Expectation],
    reason: str,
    harness_error: str | None = None,
) -> ModeVerdict:
    """A mode's verdict from each run's observations (every run observes the same items)."""
    if harness_error:
        return ModeVerdict(mode, "error", False, harness_error, len(runs), 0, 0, [])
    by_item: dict[str, list[Observation]] = {}
    for run in runs:
        for observation in run:
            by_item.setdefault(observation.item, []).append(observation)
    verdicts = [judge_item(item, obs, env, mode, expectations) for item, obs in by_item.items()]
    shown = [v for v in verdicts if v.outcome != "pass"]  # the results keep what is not a plain pass
    outcome = worst([v.outcome for v in verdicts])
    as_expected = all(v.as_expected for v in verdicts)
    passed = len(verdicts) - len(shown)
    shown_reason = reason if outcome != "pass" else ""
    gone = [v for v in verdicts if v.outcome == "unexpected-pass"]
    if gone and not shown_reason:
        where = f"{mode}: " if mode else ""
        shown_reason = f"{where}{gone[0].item} passed, but {gone[0].expectation} says it fails"
    return ModeVerdict(mode, outcome, as_expected, shown_reason, len(runs), len(verdicts), passed, shown)


def deterministic(observations: Sequence[Observation]) -> bool:
    """The server never started, or it delivered none of the cells: a re-run would say the same."""
    if any(o.item == "start" and not o.ok for o in observations):
        return True
    cells = [o for o in observations if o.item.startswith("cell:")]
    return bool(cells) and not any(o.ok for o in cells)


def needs_rerun(
    observations: Sequence[Observation], env: EnvFacts, mode: str, expectations: Sequence[Expectation]
) -> bool:
    """Only unexpected failures are re-run, and not when the whole mode failed the same way."""
    if deterministic(observations):
        return False
    return any(not o.ok and first_match(expectations, env, mode, o.item) is None for o in observations)


def unexpected_lines(env: str, modes: Sequence[ModeVerdict]) -> list[str]:
    """One line per mode and kind of unexpected outcome, naming the first item and why."""
    lines = []
    for mode in modes:
        if mode.outcome == "error":
            lines.append(f"{env} {mode.name}: harness error: {mode.reason}")
            continue
        by_outcome: dict[str, list[ItemVerdict]] = {}
        for item in mode.items:
            if not item.as_expected:
                by_outcome.setdefault(item.outcome, []).append(item)
        for outcome, items in by_outcome.items():
            first = items[0]
            more = f" (and {len(items) - 1} more)" if len(items) > 1 else ""
            what = {
                "fail": "failed",
                "flaky": f"flaky {first.failures}/{first.runs}",
                "unexpected-pass": "passed",
                "logged-errors": "in the server log",
            }
            text = what.get(outcome, outcome)
            if outcome == "unexpected-pass":
                text += f", but {first.expectation} says it fails: is the known defect gone?"
            else:
                text += f": {first.detail}"
            where = f" {mode.name}" if mode.name else ""
            lines.append(f"{env}{where}: {first.item}{more} {text}")
    return lines
