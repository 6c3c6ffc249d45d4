"""Real end-to-end runs: a real SUT venv, Redis, server processes and sockets.

The seed env must pass every cell; deliberately broken servers must turn
exactly the affected cells (or the whole row) ✗, with a reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.paths import ROOT
from harness.run.delivery import delivery_cells
from harness.stacks.ws4redis import Ws4redisProtocol
from tests.conftest import BROKEN_SERVERS, E2E_ENV, Reaper, processes
from tests.test_e2e_security import WS4REDIS_RUNSERVER_KNOWN, WS4REDIS_UWSGI_KNOWN, flaked

pytestmark = pytest.mark.e2e


def _bad_cells(result: dict) -> set[tuple[str, str, str, str]]:
    return {(c["server"], c["kind"], c["sender"], c["target"]) for c in result["deliveries"] if not c["ok"]}


def _processes_mentioning(text: str) -> list[str]:
    return [args for _, _, args in processes() if text in args and "pytest" not in args]


def _children_of(parent: int) -> dict[int, str]:
    return {pid: args for pid, ppid, args in processes() if ppid == parent}


def test_seed_env_passes_every_cell_and_fails_only_the_known_defect(run_harness, work_root: Path) -> None:
    code, result, output = run_harness(E2E_ENV)
    assert [s["name"] for s in result["servers"]] == ["runserver", "uwsgi"]
    assert all(s["started"] and s["http_status"] == 200 and s["ws_status"] == 101 for s in result["servers"])
    assert len(result["deliveries"]) == 2 * len(delivery_cells(Ws4redisProtocol.publish_paths)) == 30
    assert all(c["ok"] and c["latency_ms"] is not None for c in result["deliveries"]), output
    # ws4redis 0.4's dev server closes the sender's socket with 1007 on non-ASCII text
    # (its pure-Python UTF-8 validator): a known defect, so the run is as expected.
    assert (code, result["status"], result["as_expected"], result["unexpected"]) == (0, "known", True, []), output
    failed = {(c["server"], c["name"]): c["detail"] for c in result["checks"] if not c["ok"]}
    # Besides ws4redis's known security and robustness behaviours (tests/test_e2e_security.py).
    assert set(failed) - flaked(result) == {("runserver", "non-ASCII broadcast intact")} | {
        ("runserver", name) for name in WS4REDIS_RUNSERVER_KNOWN
    } | {("uwsgi", name) for name in WS4REDIS_UWSGI_KNOWN}
    assert "john's socket: closed by server: 1007 invalid payload" in failed["runserver", "non-ASCII broadcast intact"]
    [runserver, uwsgi] = result["modes"]
    expectations = {i["item"]: i["expectation"] for i in runserver["items"]}
    assert runserver["outcome"] == "known"
    assert expectations["check:non-ASCII broadcast intact"] == "ws4redis-utf8validator"
    assert uwsgi["outcome"] == "known"
    # ws4redis under uWSGI logs each closed socket as a WebSocketError traceback: known (issue 17)
    uwsgi_items = {i["item"]: (i["outcome"], i["expectation"]) for i in uwsgi["items"]}
    assert uwsgi_items["log:WebSocketError"] == ("known", "ws4redis-uwsgi-close-logged-as-error")
    assert runserver["runs"] == uwsgi["runs"] == 1  # a known failure is not re-run
    server_log = (work_root / E2E_ENV / "logs" / "server-runserver-m0.log").read_text()  # the run's first server
    assert "websocket.receive: UnicodeError" in server_log  # ws4redis's own reason reaches the log
    assert result["redis"]["source"] in ("embedded", "system") and result["redis"]["version"]
    assert result["stack"]["packages"]["django-websocket-redis"] == result["stack"]["version"]
    assert not _processes_mentioning(str(work_root / E2E_ENV))


BROKEN = {
    "leak_private_settings": {
        (server, "user", sender, "john") for server in ("runserver", "uwsgi") for sender in ("admin", "john", "mary")
    },
    "drop_group_settings": {
        (server, "group", sender, "chatusers")
        for server in ("runserver", "uwsgi")
        for sender in ("admin", "john", "mary")
    },
}
# Checks that send the broken kind too: the real browser's group message from admin
# to john's page (the idle check would as well; the tests run with --idle 0).
BROKEN_CHECKS = {"leak_private_settings": set(), "drop_group_settings": {"check:real browser"}}


@pytest.mark.parametrize("settings", sorted(BROKEN))
def test_broken_server_fails_exactly_the_affected_cells(run_harness, settings: str) -> None:
    code, result, output = run_harness(E2E_ENV, "--pythonpath", str(BROKEN_SERVERS), "--settings", settings)
    assert (code, result["status"], result["as_expected"]) == (1, "fail", False), output
    # An unexpected failure is re-run once: both runs fail the same cells.
    assert [(s["name"], s["run"]) for s in result["servers"]] == [
        ("runserver", 0),
        ("runserver", 1),
        ("uwsgi", 0),
        ("uwsgi", 1),
    ]
    assert len(result["deliveries"]) == 60
    assert _bad_cells(result) == BROKEN[settings]
    for cell in result["deliveries"]:
        assert cell["ok"] or cell["detail"], cell
    for mode in result["modes"]:
        items = [i for i in mode["items"] if i["item"].startswith("cell:")]
        failed = {(i["item"], i["outcome"], i["failures"], i["runs"]) for i in items}
        assert failed == {
            (f"cell:http-{kind}-{sender}-{target}", "fail", 2, 2)
            for server, kind, sender, target in BROKEN[settings]
            if server == mode["name"]
        }
    for mode in result["modes"]:
        checks = {i["item"] for i in mode["items"] if i["item"].startswith("check:") and i["expectation"] is None}
        assert checks == BROKEN_CHECKS[settings], mode["name"]
    more = 2 + len(BROKEN_CHECKS[settings])  # three cells per mode, and those checks
    assert len(result["unexpected"]) == 2 and all(f"(and {more} more) failed" in line for line in result["unexpected"])


def test_server_crashing_at_start_fails_the_row_with_its_exception(run_harness) -> None:
    code, result, _ = run_harness(E2E_ENV, "--pythonpath", str(BROKEN_SERVERS), "--settings", "crash_at_start_settings")
    assert (code, result["status"]) == (1, "fail")
    assert [s["started"] for s in result["servers"]] == [False, False]  # deterministic: not re-run
    assert [[i["item"] for i in m["items"]] for m in result["modes"]] == [["start"], ["start"]]
    for server in result["servers"]:
        assert "RuntimeError: deliberately broken chat server: crash at start" in server["error"]
    assert result["deliveries"] == []
    assert "web server does not work" in result["reason"]


def test_ctrl_c_stops_redis_and_the_server_and_still_writes_results(
    work_root: Path, tmp_path: Path, reaper: Reaper
) -> None:
    results_dir = tmp_path / "results"
    env_dir = str(work_root / E2E_ENV)
    cmd = [
        sys.executable,
        "-m",
        "harness.cli.main",
        "run",
        E2E_ENV,
        "--results-dir",
        str(results_dir),
        "--work-root",
        str(work_root),
    ]
    harness = reaper.own(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + 600
    # Interrupt while the first server is up (its process names the env's venv).
    while not any("runserver" in line for line in _processes_mentioning(env_dir)):
        if harness.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the server never started: {harness.communicate(timeout=60)[0][-2000:]}")
        time.sleep(0.05)
    # Redis renames its process ("redis-server 127.0.0.1:PORT"): find it as the harness's child.
    children = _children_of(harness.pid)
    reaper.watch(children)  # stopped at teardown whatever the assertions below say
    assert any("redis-server" in args for args in children.values()), f"expected a live Redis: {children}"
    os.kill(harness.pid, signal.SIGINT)
    output, _ = harness.communicate(timeout=60)
    assert harness.returncode == 130, output
    assert not _processes_mentioning(env_dir)
    still_running = {pid for pid, _, _ in processes()} & set(children)
    assert not still_running, f"left running: {[children[pid] for pid in still_running]}"
    result = (results_dir / f"{E2E_ENV}.json").read_text()
    assert '"interrupted (Ctrl-C)"' in result


def test_bad_env_name_is_one_clear_line_and_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli.main", "run", "py27-django18"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "expected py<XY>-django<XY>-<line>" in done.stderr
