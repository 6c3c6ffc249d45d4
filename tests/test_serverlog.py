"""Reading a server's log: incidents, their phase (run, shutdown, provoked), and
what they do to a mode's verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.run.expectations import EnvFacts, load_expectations
from harness.run.plugin import Collector
from harness.run.runner import log_observations
from harness.run.verdict import Observation, judge_mode, unexpected_lines
from harness.sut.serverlog import first_exception_after, incidents, log_findings

UVICORN = b"""INFO:     Uvicorn running on http://127.0.0.1:1 (Press CTRL+C to quit)
ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "/v/site-packages/channels/utils.py", line 57, in await_many_dispatch
    await task
  File "/v/site-packages/redis/asyncio/connection.py", line 1310, in read_response
    raise TimeoutError(f"Timeout reading from {host_error}")
redis.exceptions.TimeoutError: Timeout reading from 127.0.0.1:6379
INFO:     connection closed
"""
DAPHNE = b"""2026-12-01 20:08:00,576 ERROR    Exception inside application: boom
Traceback (most recent call last):
  File "/v/site-packages/channels/consumer.py", line 58, in __call__
    await x
ValueError: boom
127.0.0.1:1 - - [01/Dec/2026:20:08:00] "WSDISCONNECT /ws/chat/" - -
"""
# ws4redis under uWSGI on Python 2: a chained traceback, logged as a warning.
WS4REDIS = b"""WebSocketError: unable to receive websocket message
Traceback (most recent call last):
  File "/v/site-packages/ws4redis/uwsgi_runserver.py", line 28, in receive
    return uwsgi.websocket_recv_nb()
OSError: unable to receive websocket message

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/v/site-packages/ws4redis/uwsgi_runserver.py", line 31, in receive
    raise WebSocketError(e)
WebSocketError: unable to receive websocket message
[uwsgi-http key: 127.0.0.1:1 client_addr: 127.0.0.1 client_port: 1] hr_instance_read(): Connection reset by peer
"""


def test_each_servers_wording_is_one_incident_with_its_last_line() -> None:
    assert [(i.name, i.exception, i.where) for i in incidents(UVICORN + DAPHNE + WS4REDIS)] == [
        (
            "redis.exceptions.TimeoutError",
            "redis.exceptions.TimeoutError: Timeout reading from 127.0.0.1:6379",
            "redis/asyncio/connection.py:1310 in read_response",
        ),
        ("ValueError", "ValueError: boom", "channels/consumer.py:58 in __call__"),
        (
            "WebSocketError",
            "WebSocketError: unable to receive websocket message",
            "ws4redis/uwsgi_runserver.py:31 in receive",
        ),
    ]


def test_an_error_line_without_traceback_counts_and_plain_lines_do_not() -> None:
    log = b"INFO fine\nERROR:root:disk full\nWebSocketError: alone, no traceback\n"
    assert [i.exception for i in incidents(log)] == ["ERROR:root:disk full"]


def test_an_error_lines_name_keeps_neither_its_time_nor_its_level() -> None:
    """Twisted's Failure names its exception's class; any other line keeps its message:
    the same name in every run, so an expectation's `exception` can select it."""
    log = (
        b"2026-12-02 00:00:59,214 ERROR    [Failure instance: Traceback: <class 'AttributeError'>: "
        b"'NoneType' object has no attribute 'replace'\n/usr/lib/python3.8/urllib/parse.py:430:_remove_unsafe\n"
        b"2026-12-02 00:02:11,280 ERROR    Task was destroyed but it is pending!\n"
        b"ERROR:root:disk full\n"
    )
    names = [i.name for i in incidents(log)]
    assert names == ["AttributeError", "Task was destroyed but it is pending!", "root:disk full"]


def test_phases_by_offset_counts_by_exception() -> None:
    log = UVICORN + UVICORN + DAPHNE + UVICORN
    provoked_start = len(UVICORN) * 2
    provoked = [("test_bad_frame", provoked_start, provoked_start + len(DAPHNE))]
    found = log_findings(log, stop_offset=len(log) - len(UVICORN), provoked=provoked)
    assert [(f.exception, f.phase, f.count, f.check) for f in found] == [
        ("redis.exceptions.TimeoutError", "run", 2, ""),
        ("ValueError", "provoked", 1, "test_bad_frame"),
        ("redis.exceptions.TimeoutError", "shutdown", 1, ""),
    ]


def test_first_exception_after_an_offset(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_bytes(DAPHNE + UVICORN)
    assert first_exception_after(log, len(DAPHNE)).startswith("redis.exceptions.TimeoutError: Timeout reading")
    assert first_exception_after(log, len(DAPHNE + UVICORN)) == ""


ENTRY = """
[[expect]]
id = "known-timeout"
outcome = "flaky"
cause = "a cause"
upstream = ["https://example.org/1"]
[expect.when]
mode = ["redis"]
items = ["check:idle sockets deliver"]
exception = ["redis.exceptions.Timeout*"]
"""
FACTS = EnvFacts("3.11", "4.2", "", {"channels": "4.3"})


def test_unprovoked_exceptions_make_a_passing_mode_pass_with_logged_errors_unless_known(tmp_path: Path) -> None:
    path = tmp_path / "expectations.toml"
    path.write_text(ENTRY)
    expectations = load_expectations(path)
    found = [f.as_dict() for f in log_findings(UVICORN + DAPHNE, stop_offset=len(UVICORN))]  # DAPHNE: shutdown
    runs = [[Observation("cell:x", True, ""), *log_observations(found)]]
    assert [o.item for o in runs[0][1:]] == ["log:redis.exceptions.TimeoutError"]

    unknown = judge_mode("uvicorn+pubsub", runs, FACTS, expectations, "reason")
    assert (unknown.outcome, unknown.as_expected) == ("logged-errors", False)
    assert unexpected_lines("env", [unknown]) == [
        "env uvicorn+pubsub: log:redis.exceptions.TimeoutError in the server log: 1× redis.exceptions.TimeoutError: "
        "Timeout reading from 127.0.0.1:6379 at redis/asyncio/connection.py:1310 in read_response"
    ]
    known = judge_mode("uvicorn+redis", runs, FACTS, expectations, "reason")
    assert (known.outcome, known.as_expected, known.items[0].expectation) == ("known", True, "known-timeout")
    # The entry still names its check item; an entry with only `exception` names no other item.
    assert expectations[0].names_item("check:idle sockets deliver")
    assert not expectations[0].names_item("check:keep-alive HTTP")


PROVOKING_TESTS = """
import threading, time, pytest

LOG = {log!r}

def write(text, after=0.0):
    def go():
        time.sleep(after)
        with open(LOG, "a") as log:
            log.write(text)
    threading.Thread(target=go).start() if after else go()

@pytest.mark.provokes_server_errors
def test_a_first_probe():
    write("A\\n")

@pytest.mark.provokes_server_errors
def test_b_second_probe():
    write("late B\\n", after=0.1)  # logged after the test ended, as servers do

def test_c_ordinary():
    write("C\\n")
"""


def _run_against_a_log(tmp_path: Path, module: str, tests: str) -> tuple[Collector, Path]:
    """Run ``tests`` (a test module's source, ``{log}`` its log's path) under a Collector.
    Each caller its own ``module`` name: pytest runs in this process, where a module name
    already imported from another folder is a collection error."""
    log = tmp_path / "server.log"
    log.write_text("")
    (tmp_path / f"{module}.py").write_text(tests.format(log=str(log)))
    (tmp_path / "conftest.py").write_text(
        "def pytest_configure(config):\n    config.addinivalue_line('markers', 'provokes_server_errors: provokes')\n"
    )
    collector = Collector(server_log=log)
    assert pytest.main([str(tmp_path), "-q", "-p", "no:cacheprovider"], plugins=[collector]) == 0
    return collector, log


def test_a_late_line_of_the_last_provoking_test_stays_provoked_and_ordinary_lines_do_not(tmp_path: Path) -> None:
    collector, log = _run_against_a_log(tmp_path, "test_probes", PROVOKING_TESTS)
    text = log.read_text()
    ranges = {name: text[start:end] for name, start, end in collector.provoked}
    # No grace between two provoking tests; the last one waits for its late line.
    assert ranges == {"test_a_first_probe": "A\n", "test_b_second_probe": "late B\n"}
    assert text.endswith("C\n") and not any("C" in part for part in ranges.values())


SILENT_PROBE_TESTS = """
import threading, time, pytest
from harness.run.plugin import SENT_NOTHING

LOG = {log!r}

@pytest.mark.provokes_server_errors
def test_a_probe_that_sent_nothing(request):
    request.node.stash[SENT_NOTHING] = True
    threading.Thread(target=lambda: (time.sleep(0.3), open(LOG, "a").write("unprovoked\\n"))).start()

def test_b_ordinary():
    time.sleep(0.6)
"""


def test_a_provoking_test_that_sent_nothing_owes_no_grace(tmp_path: Path) -> None:
    """A deaf session's probes send nothing: the next ordinary test starts at once, so a
    line written 0.3 s later is that test's (with the grace it would be the probe's)."""
    collector, log = _run_against_a_log(tmp_path, "test_silent", SILENT_PROBE_TESTS)
    assert log.read_text() == "unprovoked\n"
    assert collector.provoked == [("test_a_probe_that_sent_nothing", 0, 0)]
