"""Robustness: the message size limit, bad frames and commands, a plain GET to a
socket URL; each followed by a health probe (issue 12; DECISIONS 8, 9, 9b, 10)."""

from __future__ import annotations

import secrets

import pytest

from harness.run import badinput
from harness.run.per_server import MESSAGE_SIZE, PLAIN_GET
from harness.run.plugin import SENT_NOTHING
from harness.run.probes import echo_path
from harness.run.robustness import deaf_note, health, judge_size, message_size_limit
from harness.stacks import stack_for

FAMILY = "robustness"
pytestmark = [pytest.mark.per_server, pytest.mark.provokes_server_errors]


@pytest.fixture(scope="module")
def echo(chat):
    return echo_path(chat.protocol, secrets.token_hex(4))


def _skip_if_deaf(chat, name: str, record_check, request: pytest.FixtureRequest) -> None:
    """A session whose sockets hear nothing cannot show health: ✗, not observed, at once
    (nothing sent, so no late log line to wait for)."""
    note = deaf_note(chat)
    if note:
        request.node.stash[SENT_NOTHING] = True
        record_check(name, False, note, family=FAMILY, value="not observed")
        raise AssertionError(note)


def test_message_size_limit(chat, echo, record_check, request: pytest.FixtureRequest) -> None:
    _skip_if_deaf(chat, MESSAGE_SIZE, record_check, request)
    admin = chat.clients["admin"]
    heartbeats = tuple(chat.protocol.heartbeats)
    found = judge_size(*message_size_limit(admin.base_url, admin.cookie_header(), echo, heartbeats))
    healthy, state = health(chat)
    ok, detail = found.ok and healthy, f"{found.detail}; {state}"
    record_check(MESSAGE_SIZE, ok, detail, family=FAMILY, value=found.value)
    assert ok, detail


# uWSGI's fragment handling can drop the other clients' sockets (one process-wide
# continuation buffer): this probe runs after every other check of the session.
FRAGMENTED = "fragmented message reassembled"


def _bad_frame_names() -> list:
    # Both stacks' names: a stack without JSON commands skips the JSON ones.
    names = badinput.probes(badinput.EchoPath("", True), str)
    return [pytest.param(name, marks=pytest.mark.late) if name == FRAGMENTED else name for name in names]


@pytest.mark.parametrize("name", _bad_frame_names())
def test_bad_frame(name: str, chat, echo, record_check, request: pytest.FixtureRequest) -> None:
    probes = badinput.probes(echo, chat.protocol.decode)
    if name not in probes:
        request.node.stash[SENT_NOTHING] = True
        pytest.skip("this stack relays text as it is: it reads no JSON commands")
    _skip_if_deaf(chat, name, record_check, request)
    admin = chat.clients["admin"]
    behaved, seen = badinput.run_probe(
        admin.base_url, admin.cookie_header(), echo, probes[name], tuple(chat.protocol.heartbeats)
    )
    healthy, state = health(chat)
    ok = behaved and healthy
    record_check(name, ok, f"{seen}; {state}", family=FAMILY, value=seen.split(" (expected")[0])
    assert ok, f"{seen}; {state}"


def test_plain_get_to_socket_urls(chat, request: pytest.FixtureRequest, record_check) -> None:
    _skip_if_deaf(chat, PLAIN_GET, record_check, request)
    admin = chat.clients["admin"]
    stack = stack_for(request.config.getoption("--chat-stack"))
    paths = [chat.protocol.socket_path(), stack.probe_socket_path()]
    behaved, detail, value = badinput.plain_get_check(admin.base_url, admin.cookie_header(), paths)
    healthy, state = health(chat)
    ok = behaved and healthy
    record_check(PLAIN_GET, ok, f"{detail}; {state}", family=FAMILY, value=value)
    assert ok, f"{detail}; {state}"
