"""Load figures: generated users, Locust stats to figures, capacity steps, CPU verdicts, options."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.errors import BadInput
from harness.fixtures import USERS
from harness.load.capacity import Snapshot, StepLoad
from harness.load.cpu import judge
from harness.load.population import LoadPopulation
from harness.load.settings import LoadSettings, parse_mix
from harness.load.stats import percentile, summarize, timeline

DATA = Path(__file__).parent / "data" / "load"


def test_load_population_names_groups_and_no_clash_with_fixture_users() -> None:
    population = LoadPopulation(25, group_size=10)
    assert population.users[0] == "load0001" and population.users[-1] == "load0025"
    assert population.groups == ("loadgroup01", "loadgroup02", "loadgroup03")
    assert population.groups_of("load0001") == {"loadgroup01"}
    assert population.groups_of("load0004") == {"loadgroup01"}  # index 3 -> 3 % 3 groups
    assert not set(population.users) & set(USERS)
    assert "chatusers" not in population.groups
    assert population.user(25) == "load0001"  # wraps around the pool
    spec = population.spec("secret")
    memberships = spec["memberships"]
    assert spec["reserved"] == list(USERS) and isinstance(memberships, dict) and len(memberships) == 25
    with pytest.raises(BadInput):
        LoadPopulation(0)


HISTOGRAMS = [{1: 50, 2: 45, 10: 4, 100: 1}, {7: 1}, {3: 10, 4: 10}, {1: 1, 5: 98, 900: 1}, {2: 3, 40: 2, 41: 5}]
FRACTIONS = [0.5, 0.95, 0.99, 0.999, 1.0]
# Locust's own function, in a subprocess: importing locust here would monkey-patch
# this process's standard library with gevent.
LOCUST_PERCENTILES = """
import json, sys
from locust.stats import calculate_response_time_percentile
cases = json.loads(sys.argv[1])
out = [[calculate_response_time_percentile({int(k): v for k, v in hist.items()}, sum(hist.values()), f)
        for f in cases["fractions"]] for hist in cases["histograms"]]
print(json.dumps(out))
"""


def test_percentile_is_locusts_own_definition() -> None:
    cases = json.dumps({"histograms": HISTOGRAMS, "fractions": FRACTIONS})
    done = subprocess.run(
        [sys.executable, "-c", LOCUST_PERCENTILES, cases], capture_output=True, text=True, timeout=120, check=True
    )
    locust = json.loads(done.stdout)
    ours = [[percentile(Counter(hist), f) for f in FRACTIONS] for hist in HISTOGRAMS]
    assert ours == locust
    assert ours[0][:3] == [2, 10, 100]  # and the values are what they should be
    assert percentile(Counter(), 0.99) is None


def _entry(method: str, name: str, hist: dict[int, int], failures: int = 0) -> dict:
    return {
        "name": name,
        "method": method,
        "num_requests": sum(hist.values()),
        "num_failures": failures,
        "response_times": {str(k): v for k, v in hist.items()},
        "start_time": 1000.0,
        "last_request_timestamp": 1010.0,
    }


def test_summary_per_kind_with_loss_and_errors() -> None:
    entries = [
        _entry("deliver", "ws4redis broadcast", {2: 900, 40: 100}),
        _entry("deliver", "ws4redis user", {5: 75}),
        _entry("lost", "ws4redis user", {5000: 25}, failures=25),
        _entry("duplicate", "ws4redis broadcast", {3: 2}, failures=2),
        _entry("send", "ws4redis user", {8: 100}),
        _entry("connect", "ws4redis connect", {4: 10}),
    ]
    figures = summarize(entries)
    assert figures["duration_s"] == 10.0
    kinds = {k["kind"]: k for k in figures["kinds"]}
    assert kinds["broadcast"]["deliveries_per_s"] == 100.0 and kinds["broadcast"]["p99"] == 40
    assert kinds["user"]["loss_pct"] == 25.0 and kinds["user"]["lost"] == 25 and kinds["user"]["sent"] == 100
    assert kinds["broadcast"]["misdelivered"] == 2
    assert figures["totals"]["lost"] == 25 and figures["totals"]["errors"] == 2
    assert figures["clients"]["connect"]["count"] == 10


def test_timeline_from_locust_counts_and_history(tmp_path: Path) -> None:
    history = tmp_path / "h.csv"
    history.write_text(
        "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,95%,99%\n"
        "999,0,,Aggregated,0,0,N/A,N/A,N/A\n"
        "1000,5,deliver,ws4redis broadcast,10.0,0,2,5,9\n"
        "1000,5,,Aggregated,30.0,0,2,5,9\n"
        "1001,10,deliver,ws4redis broadcast,20.0,0,N/A,N/A,N/A\n"
    )
    entries = [
        {"method": "deliver", "name": "ws4redis broadcast", "num_reqs_per_sec": {"1000": 40, "1001": 60}},
        {"method": "deliver", "name": "ws4redis user", "num_reqs_per_sec": {"1001": 3}},
        {"method": "send", "name": "ws4redis user", "num_reqs_per_sec": {"1001": 3}},
    ]
    points = timeline(entries, history)
    assert [p["t"] for p in points] == [-1, 0, 1]
    assert points[1]["deliveries_per_s"] == 40 and points[1]["users"] == 5
    assert points[2]["deliveries_per_s"] == 63 and points[2]["user"]["deliveries_per_s"] == 3
    assert points[1]["broadcast"]["p99"] == 9 and points[2]["broadcast"]["p50"] is None


def _snap(at: float, hist: dict[int, int], lost: int = 0) -> Snapshot:
    return Snapshot(at, Counter(hist), sum(hist.values()), lost)


def test_step_load_holds_until_p99_or_loss() -> None:
    plan = StepLoad(step_users=10, step_seconds=10, max_users=50, p99_limit_ms=250)
    assert plan.judge(10, _snap(0, {}), _snap(5, {5: 100})).held
    assert plan.judge(20, _snap(5, {5: 100}), _snap(10, {5: 300, 100: 10})).held
    bad = plan.judge(30, _snap(10, {5: 300}), _snap(15, {5: 300, 400: 50}))
    assert not bad.held and "p99" in bad.why
    summary = plan.as_dict()
    assert summary["held_users"] == 20 and summary["held_deliveries_per_s"] == 42.0
    assert "30 users" in summary["stopped_because"]
    lossy = StepLoad(10, 10, 50, 250)
    assert not lossy.judge(10, _snap(0, {}), _snap(5, {5: 10}, lost=1)).held
    assert lossy.as_dict()["held_users"] == 0


def test_cpu_judge_flags_a_saturated_generator() -> None:
    calm = [{"t": i, "processes": [30.0], "machine": 50.0} for i in range(10)]
    hot = [{"t": i, "processes": [99.0, 20.0], "machine": 97.0} for i in range(10)]
    assert not judge(calm, cores=2)["saturated"]
    verdict = judge(hot, cores=2)
    assert verdict["saturated"] and verdict["machine_busy"] and verdict["busiest_process_mean_pct"] == 99.0


def test_mix_and_settings_validation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_mix("broadcast=2,user") == {"broadcast": 2.0, "user": 1.0, "group": 0.0}
    for bad in ("shout=1", "user=x", "broadcast=0", "user=-1"):
        with pytest.raises(BadInput):
            parse_mix(bad)
    options = SimpleNamespace(
        chat_stack="",
        load_users=0,
        group_size=0,
        message_rate=1.0,
        mix="broadcast=1",
        message_bytes=64,
        loss_timeout=5.0,
    )
    monkeypatch.setenv("HARNESS_WORK_ROOT", str(tmp_path))
    with pytest.raises(BadInput, match="--chat-stack"):
        LoadSettings.from_options(options, "http://127.0.0.1:9")
    manifest = tmp_path / "serve" / "127.0.0.1-9.json"
    manifest.parent.mkdir()
    manifest.write_text(
        json.dumps(
            {
                "url": "http://127.0.0.1:9",
                "env": "e",
                "server": "uwsgi",
                "stack": "ws4redis",
                "load_users": 30,
                "group_size": 5,
            }
        )
    )
    settings = LoadSettings.from_options(options, "http://127.0.0.1:9")
    assert (settings.stack, settings.load_users, settings.group_size) == ("ws4redis", 30, 5)
