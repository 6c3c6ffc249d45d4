"""Verdicts: each item, mode and env against the expected outcomes, computed once."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import BadInput
from harness.run.delivery import DeliveryResult, delivery_cells
from harness.run.expectations import EnvFacts, load_expectations
from harness.run.modes import observe
from harness.run.plugin import Collector
from harness.run.runner import mode_reason, stale_expectations
from harness.run.verdict import Observation, judge_mode, needs_rerun, unexpected_lines
from harness.stacks.ws4redis import Ws4redisProtocol
from harness.sut.server import ServerStart

SCENARIOS = """
def test_judged_and_wrong():
    assert False, "mary received it but should not have"

def test_broken_harness():
    raise RuntimeError("boom inside the scenario")

def test_fine():
    pass
"""
NON_ASCII = "check:non-ASCII broadcast intact"
ENTRIES = """
[[expect]]
id = "utf8"
outcome = "fail"
cause = "the pure-Python validator closes with 1007"
upstream = ["https://github.com/jrief/django-websocket-redis/issues/180"]
[expect.when]
"django-websocket-redis" = ">=0.4.5,<=0.6.0"
wsaccel = "absent"
python = ">=2.7"
mode = ["runserver"]
items = ["check:non-ASCII*"]

[[expect]]
id = "uwsgi-py3"
outcome = "flaky"
cause = "uWSGI drops a login now and then"
upstream = ["https://github.com/unbit/uwsgi/issues/1401"]
[expect.when]
python = ">=3"
mode = ["uwsgi"]
"""
WS4REDIS = EnvFacts("2.7.18", "1.8.19", "", {"django-websocket-redis": "0.4.6", "Django": "1.8.19"})


@pytest.fixture
def expectations(tmp_path: Path) -> list:
    path = tmp_path / "expectations.toml"
    path.write_text(ENTRIES)
    return load_expectations(path)


def _runs(*oks: bool, item: str = NON_ASCII) -> list[list[Observation]]:
    why = "closed by server: 1007"
    return [[Observation("start", True, ""), Observation(item, ok, "" if ok else why)] for ok in oks]


def test_a_crashing_scenario_is_an_error_and_a_judged_one_is_not(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SCENARIOS)
    collector = Collector()
    pytest.main([str(tmp_path), "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)], plugins=[collector])
    assert collector.errors == ["RuntimeError: boom inside the scenario"]


def test_a_known_failure_is_as_expected_and_names_its_cause(expectations: list) -> None:
    verdict = judge_mode("runserver", _runs(False), WS4REDIS, expectations, "runserver: check failed")
    assert (verdict.outcome, verdict.as_expected, verdict.passed, verdict.item_count) == ("known", True, 1, 2)
    [item] = verdict.items
    assert (item.item, item.expectation) == (NON_ASCII, "utf8")
    assert item.upstream == ["https://github.com/jrief/django-websocket-redis/issues/180"]


def test_the_same_failure_elsewhere_is_unexpected(expectations: list) -> None:
    uwsgi = judge_mode("uwsgi", _runs(False), WS4REDIS, expectations, "uwsgi: check failed")
    assert (uwsgi.outcome, uwsgi.as_expected) == ("fail", False)
    with_wsaccel = EnvFacts("2.7.18", "1.8.19", "wsaccel", {**WS4REDIS.packages, "wsaccel": "0.6.2"})
    remedied = judge_mode("runserver", _runs(False), with_wsaccel, expectations, "")
    assert (remedied.outcome, remedied.as_expected) == ("fail", False)  # the variant removes the defect


def test_a_variant_that_removes_the_defect_is_a_plain_pass(expectations: list) -> None:
    with_wsaccel = EnvFacts("2.7.18", "1.8.19", "wsaccel", {**WS4REDIS.packages, "wsaccel": "0.6.2"})
    verdict = judge_mode("runserver", _runs(True), with_wsaccel, expectations, "")
    assert (verdict.outcome, verdict.as_expected, verdict.items) == ("pass", True, [])


def test_a_known_defect_that_passes_is_an_unexpected_pass(expectations: list) -> None:
    verdict = judge_mode("runserver", _runs(True), WS4REDIS, expectations, "")
    assert (verdict.outcome, verdict.as_expected) == ("unexpected-pass", False)
    assert unexpected_lines("py27-django18-ws4redis04", [verdict]) == [
        f"py27-django18-ws4redis04 runserver: {NON_ASCII} passed, but utf8 says it fails: is the known defect gone?"
    ]


def test_mixed_runs_are_flaky_expected_or_not(expectations: list) -> None:
    py3 = EnvFacts("3.7.17", "2.2.28", "", {"django-websocket-redis": "0.6.0"})
    known = judge_mode("uwsgi", _runs(True, False, True), py3, expectations, "uwsgi: x", None)
    assert (known.outcome, known.as_expected, known.items[0].failures, known.items[0].runs) == ("flaky", True, 1, 3)
    cell = "cell:socket-broadcast-john-everybody"
    new = judge_mode("runserver", _runs(True, False, item=cell), py3, expectations, "")
    assert (new.outcome, new.as_expected) == ("flaky", False)
    assert unexpected_lines("e", [new]) == [f"e runserver: {cell} flaky 1/2: closed by server: 1007"]


def test_a_harness_error_is_no_verdict_on_the_stack(expectations: list) -> None:
    verdict = judge_mode("uwsgi", _runs(False), WS4REDIS, expectations, "", harness_error="KeyError in the watch")
    assert (verdict.outcome, verdict.as_expected) == ("error", False)
    assert unexpected_lines("e", [verdict]) == ["e uwsgi: harness error: KeyError in the watch"]


def test_only_unexpected_and_not_wholesale_failures_are_rerun(expectations: list) -> None:
    known_only = _runs(False)[0]
    assert not needs_rerun(known_only, WS4REDIS, "runserver", expectations)
    unexpected = [Observation("start", True, ""), Observation("cell:x", False, "lost"), Observation("cell:y", True, "")]
    assert needs_rerun(unexpected, WS4REDIS, "runserver", expectations)
    never_started = [Observation("start", False, "exited with code 1")]
    assert not needs_rerun(never_started, WS4REDIS, "runserver", expectations)  # deterministic
    delivers_nothing = [Observation("start", True, ""), Observation("cell:x", False, "lost")]
    delivers_nothing += [Observation("cell:y", False, "lost"), Observation("check:anonymous", True, "")]
    assert not needs_rerun(delivers_nothing, WS4REDIS, "runserver", expectations)


def test_a_missing_cell_fails_its_item_and_the_reason_says_so() -> None:
    cells = delivery_cells(Ws4redisProtocol.publish_paths)
    collector = Collector()
    for spec in cells[:14]:
        collector.deliveries.append(
            DeliveryResult("uwsgi", spec.kind, spec.sender, spec.target, spec.path, ["john"], ["john"], True, 1.0, "")
        )
    record = ServerStart("uwsgi", started=True, startup_seconds=1.0)
    observations = observe(record, collector, cells)
    missing = [o for o in observations if not o.ok]
    assert [(o.item, o.detail) for o in missing] == [(f"cell:{cells[14]}", "not observed: its scenario did not run")]
    server = record.as_dict() | {"scenario_errors": []}
    cells_seen = [c.as_dict() for c in collector.deliveries]
    assert mode_reason(server, cells_seen, [], observations) == "uwsgi: 14 of 15 delivery cells were observed"
    verdict = judge_mode("uwsgi", [observations], WS4REDIS, [], "uwsgi: 14 of 15 delivery cells were observed")
    assert (verdict.outcome, verdict.passed, verdict.item_count) == ("fail", 16, 17)


def test_a_server_that_never_started_has_one_item() -> None:
    record = ServerStart("uwsgi", error="exited with code 22: RuntimeError: crash")
    assert observe(record, Collector(), delivery_cells(Ws4redisProtocol.publish_paths)) == [
        Observation("start", False, "exited with code 22: RuntimeError: crash")
    ]


def test_an_entry_that_names_nothing_that_ran_is_stale(expectations: list) -> None:
    ran = {"": [Observation("install", True, "")], "runserver": _runs(True, item="check:renamed")[0]}
    assert stale_expectations(WS4REDIS, expectations, ran) == ["utf8"]
    ran["runserver"] = _runs(True)[0]
    assert stale_expectations(WS4REDIS, expectations, ran) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[expect]]\nid = "a"\noutcome = "maybe"\n', "outcome must be one of fail, flaky"),
        ('[[expect]]\nid = "a"\noutcome = "fail"\ncause = "x"\n', "needs an upstream reference"),
        (
            '[[expect]]\nid = "a"\noutcome = "fail"\ncause = "x"\nupstream = ["u"]\n[expect.when]\npython = "3.x"\n',
            "not a version range",
        ),
        ('[[expect]]\nid = "a"\noutcome = "fail"\ncause = "x"\nupstream = ["u"]\ncolour = 1\n', "unknown keys colour"),
        ("[[expect]\n", "not valid TOML"),
    ],
)
def test_a_bad_expectations_file_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "expectations.toml"
    path.write_text(text)
    with pytest.raises(BadInput, match=message):
        load_expectations(path)


def test_the_committed_expectations_load() -> None:
    entries = load_expectations()
    assert entries and all(e.upstream and e.cause for e in entries)


def test_the_in_memory_layer_is_known_to_fail_only_across_two_processes() -> None:
    entries = load_expectations()
    channels4 = {"channels": "4.3.2", "Django": "4.2.27"}
    one, two = EnvFacts("3.11.7", "4.2.27", "", channels4), EnvFacts("3.11.7", "4.2.27", "", channels4, processes=2)
    crossing, local = "cell:socket-user-admin-john", "cell:socket-user-admin-mary"  # admin, mary: process 1
    matched = {e.id for e in entries if e.matches(two, "daphne+inmemory", crossing)}
    assert matched == {"inmemory-layer-one-process"}
    assert not any(e.matches(two, "daphne+inmemory", local) for e in entries)
    assert not any(e.matches(one, "daphne+inmemory", crossing) for e in entries)
    assert not any(e.matches(two, "daphne+redis", crossing) for e in entries)


def test_a_flaky_log_line_that_was_not_logged_is_not_stale(tmp_path: Path) -> None:
    path = tmp_path / "expectations.toml"
    path.write_text(
        '[[expect]]\nid = "log"\noutcome = "flaky"\ncause = "c"\nupstream = ["u"]\n'
        '[expect.when]\nexception = ["Task was destroyed*"]\n'
    )
    flaky = load_expectations(path)
    ran = {"": [Observation("install", True, "")], "runserver": _runs(True)[0]}
    assert stale_expectations(WS4REDIS, flaky, ran) == []
    path.write_text(path.read_text().replace('"flaky"', '"fail"'))  # a defect that should show, and did not
    assert stale_expectations(WS4REDIS, load_expectations(path), ran) == ["log"]
