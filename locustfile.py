"""Locust users for the chat servers under test: WebSocket fan-out load.

    harness serve py311-django42-ws4redis06 --server uwsgi     # prints URL
    locust -f locustfile.py --host URL --web-host 127.0.0.1      # web UI

Each user logs in as a generated load user, opens the stack's socket, waits
until its subscriptions are live (a message to itself comes back), then sends
broadcast, private and group messages at ``--message-rate`` per second on a
fixed schedule (open loop, ``harness.load.schedule``: a slow publish does not
lower the offered load).  Every message carries its id and send time; each
receipt fires a request event ``deliver`` named "<stack> <kind>" whose response
time is the delivery latency in ms counted from the message's scheduled send
time, and ``deliver-from-send`` counted from the moment it really left.  Slots
due but never sent fire ``unsent`` (their count is its response length).
Recipients are known at send time (each Locust process is its own chat
session), so a recipient still waiting after ``--loss-timeout`` fires
a ``lost`` failure, and duplicates, late arrivals and leaks fire failures too.
Login, socket handshake (``connect``) and subscription (``subscribe``) times
are events as well.  At the end, sending stops and the process drains: what is
in flight is delivered or counted lost before the stats are final.
"""

from __future__ import annotations

import itertools
import os
import random
import socket
import time
import uuid
from typing import Any

import gevent
from gevent.event import Event
from locust import User, events, task
from locust.runners import MasterRunner, WorkerRunner

from harness.errors import BadInput, ClientError
from harness.load.client import LoadChatClient, load_protocol, publish_path, send
from harness.load.population import LoadPopulation
from harness.load.schedule import Schedule
from harness.load.settings import LoadSettings, add_locust_options
from harness.load.tracker import DELIVER, DELIVER_FROM_SEND, UNSENT, Outcome, Tracker

SUBSCRIBE_TIMEOUT = 10.0
SUBSCRIBE_RETRY = 1.0
SWEEP_INTERVAL = 0.25
DRAIN_MESSAGE, DRAINED_MESSAGE = "harness_drain", "harness_drained"
REPORT_WAIT = 3.5  # one worker stats report (locust.runners.WORKER_REPORT_INTERVAL) and a bit


class LoadFailure(Exception):
    """A failed delivery, login, connection or send (shown as Locust's error text)."""


class ChatSession:
    """This process's chat session: settings, tracker, and the users' serial numbers."""

    def __init__(self, environment: Any, settings: LoadSettings) -> None:
        self.environment = environment
        self.settings = settings
        self.tag = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.tracker = Tracker(self.tag, settings.loss_timeout)
        self.population = LoadPopulation(settings.load_users, settings.group_size)
        self.serial = itertools.count()
        self.draining = False
        self.schedules: dict[int, Schedule] = {}  # by client id: each subscribed user's send slots
        kinds = [k for k, w in settings.mix.items() if w > 0]
        self.kinds, self.weights = kinds, [settings.mix[k] for k in kinds]
        self._sweeper = gevent.spawn(self._sweep_forever)

    def fire(self, request_type: str, kind: str, ms: float, length: int = 0, error: str | None = None) -> None:
        self.environment.events.request.fire(
            request_type=request_type,
            name=f"{self.settings.stack} {kind}",
            response_time=ms,
            response_length=length,
            exception=LoadFailure(error) if error else None,
            context={},
        )

    def report(self, outcome: Outcome | None) -> None:
        if outcome is not None:
            self.fire(outcome.request_type, outcome.kind, outcome.ms, outcome.length, outcome.error)
            if outcome.request_type == DELIVER and outcome.ms_from_send is not None:
                self.fire(DELIVER_FROM_SEND, outcome.kind, outcome.ms_from_send, outcome.length)

    def start_schedule(self, client_id: int) -> Schedule:
        self.end_schedule(client_id)
        schedule = Schedule.starting(self.settings.message_rate, time.time())
        self.schedules[client_id] = schedule
        return schedule

    def end_schedule(self, client_id: int) -> None:
        """Slots of this user that were due and not sent are reported as unsent."""
        schedule = self.schedules.pop(client_id, None)
        if schedule is not None:
            missed = schedule.stop(time.time())
            if missed:
                self.fire(UNSENT, "schedule", 0, missed)

    def _sweep_forever(self) -> None:
        while True:
            gevent.sleep(SWEEP_INTERVAL)
            for outcome in self.tracker.sweep(time.time()):
                self.report(outcome)

    def drain(self) -> None:
        """Stop sending; wait until every awaited delivery arrived or timed out."""
        self.draining = True
        for client_id in list(self.schedules):
            self.end_schedule(client_id)
        deadline = time.time() + self.settings.loss_timeout + SWEEP_INTERVAL * 2
        while self.tracker.awaited() and time.time() < deadline:
            gevent.sleep(0.05)
        for outcome in self.tracker.sweep(time.time() + self.settings.loss_timeout):
            self.report(outcome)

    def close(self) -> None:
        self._sweeper.kill(block=False)


SESSION: ChatSession | None = None
_DRAINED: set[str] = set()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    add_locust_options(parser)


@events.init.add_listener
def _init(environment: Any, **_kwargs: Any) -> None:
    # gevent's loop caches its clock from the hub's creation (at Locust's import):
    # after a slow start (a busy machine) --run-time's timer, set from that stale
    # clock, fired 1.5 s into a 20 s run.  Refresh it before Locust sets the timer.
    gevent.get_hub().loop.update_now()
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.register_message(DRAINED_MESSAGE, lambda environment, msg, **_kw: _DRAINED.add(msg.node_id))
    elif isinstance(runner, WorkerRunner):
        runner.register_message(DRAIN_MESSAGE, _drain_worker, concurrent=True)


@events.test_start.add_listener
def _test_start(environment: Any, **_kwargs: Any) -> None:
    global SESSION
    if isinstance(environment.runner, MasterRunner):
        return
    if SESSION is not None:
        SESSION.close()
    try:
        SESSION = ChatSession(environment, LoadSettings.from_options(environment.parsed_options, environment.host))
    except BadInput as exc:
        SESSION = None
        environment.events.request.fire(
            request_type="setup", name="load settings", response_time=0, response_length=0, exception=exc, context={}
        )


@events.test_stopping.add_listener
def _test_stopping(environment: Any, **_kwargs: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        # Workers drain, say so, then report their last stats before the master finalizes.
        workers = {client.id for client in runner.clients.all}
        _DRAINED.clear()
        runner.send_message(DRAIN_MESSAGE)
        loss_timeout = getattr(environment.parsed_options, "loss_timeout", 5.0)
        deadline = time.time() + loss_timeout + 5.0
        while not workers <= _DRAINED and time.time() < deadline:
            gevent.sleep(0.1)
        gevent.sleep(REPORT_WAIT)
    elif SESSION is not None and not SESSION.draining:
        SESSION.drain()


def _drain_worker(environment: Any, msg: Any, **_kwargs: Any) -> None:
    if SESSION is not None and not SESSION.draining:
        SESSION.drain()
    environment.runner.send_message(DRAINED_MESSAGE)


class ChatUser(User):
    """One logged-in load user holding one WebSocket to the chat server."""

    def wait_time(self) -> float:
        # Open loop: until the next slot of this user's schedule (0 when late: catch up).
        schedule = SESSION.schedules.get(self.client_id) if SESSION is not None else None
        if schedule is None:
            return 0.5
        return schedule.wait(time.time())

    def on_start(self) -> None:
        self.session = SESSION
        self.client: LoadChatClient | None = None
        self.client_id = id(self)
        self.warmup_token = ""
        self.subscribed = Event()
        self.broken: str | None = None
        if self.session is None:
            return  # bad settings: reported once at test start
        self.serial = next(self.session.serial)
        self.username = self.session.population.user(self.serial)
        self.groups = self.session.population.groups_of(self.username)
        self._connect()

    def _connect(self) -> None:
        session = self.session
        assert session is not None
        protocol = load_protocol(session.settings.stack, session.tag)
        assert self.host, "Locust passes --host to every user"
        hosts = session.settings.hosts
        host = hosts[self.serial % len(hosts)] if hosts else self.host  # one process each, round robin
        self.client = LoadChatClient(host, self.username, protocol, self._on_message, self._on_close)
        self.broken = None
        started = time.perf_counter()
        try:
            self.client.login()
        except ClientError as exc:
            session.fire("login", "login", (time.perf_counter() - started) * 1000, error=str(exc))
            self.broken = "login failed"
            return
        session.fire("login", "login", (time.perf_counter() - started) * 1000)
        try:
            handshake_ms = self.client.connect_socket()
        except ClientError as exc:
            session.fire("connect", "connect", (time.perf_counter() - started) * 1000, error=str(exc))
            self.broken = "connect failed"
            return
        session.fire("connect", "connect", handshake_ms)
        self._await_subscription(protocol)

    def _await_subscription(self, protocol: Any) -> None:
        """Send myself private messages until one comes back: then my subscriptions are live."""
        session = self.session
        assert session is not None and self.client is not None
        started = time.perf_counter()
        deadline = time.monotonic() + SUBSCRIBE_TIMEOUT
        self.subscribed.clear()
        self.warmup_token = f"W|{session.tag}|{self.client_id}|{uuid.uuid4().hex[:8]}"
        while time.monotonic() < deadline and not self.subscribed.is_set():
            try:
                path = publish_path(protocol, "user", session.settings.publish_path)
                protocol.send(self.client, "user", self.username, self.warmup_token, path)
            except ClientError as exc:
                session.fire("subscribe", "subscribe", (time.perf_counter() - started) * 1000, error=str(exc))
                self.broken = "subscribe failed"
                return
            self.subscribed.wait(min(SUBSCRIBE_RETRY, max(0.0, deadline - time.monotonic())))
        ms = (time.perf_counter() - started) * 1000
        if not self.subscribed.is_set():
            session.fire("subscribe", "subscribe", ms, error=f"no message to myself within {SUBSCRIBE_TIMEOUT:g} s")
            self.broken = "not subscribed"
            return
        session.fire("subscribe", "subscribe", ms)
        session.tracker.join(self.client_id, self.username, self.groups, time.time())
        session.start_schedule(self.client_id)

    def _on_message(self, text: str, now: float) -> None:
        if self.session is None:
            return
        if text.startswith("W|"):
            if text == self.warmup_token:
                self.subscribed.set()
            return
        self.session.report(self.session.tracker.received(self.client_id, text, now))

    def _on_close(self, reason: str) -> None:
        if self.session is None:
            return
        self.broken = reason
        self.session.fire("disconnect", "disconnect", 0, error=reason)
        for outcome in self.session.tracker.leave(self.client_id, time.time(), broken=True):
            self.session.report(outcome)

    @task
    def send_message(self) -> None:
        session = self.session
        if session is None or session.draining:
            return
        if self.broken:
            self._reset()
            self._connect()
            return
        schedule = session.schedules.get(self.client_id)
        if schedule is None or self.client is None:
            return
        scheduled_at = schedule.take()
        kind = random.choices(session.kinds, session.weights)[0]
        target = session.tracker.choose_target(kind, self.username)
        if target is None:
            session.fire(UNSENT, "schedule", 0, 1)
            return
        message = session.tracker.expect(kind, target, time.time(), scheduled_at)
        started = time.perf_counter()
        try:
            text = message.encode(session.settings.message_bytes)
            send(self.client.protocol, self.client, kind, target, text, session.settings.publish_path)
        except ClientError as exc:
            session.tracker.cancel(message)
            session.fire("send", kind, (time.perf_counter() - started) * 1000, error=str(exc))
            return
        session.fire("send", kind, (time.perf_counter() - started) * 1000)

    def _reset(self) -> None:
        if self.session is not None:
            self.session.end_schedule(self.client_id)
            self.session.tracker.leave(self.client_id, time.time())
        if self.client is not None:
            self.client.close()
            self.client = None
        gevent.sleep(1.0)  # do not hammer a server that just refused or dropped us

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.end_schedule(self.client_id)
            self.session.tracker.leave(self.client_id, time.time())
        if self.client is not None:
            self.client.close()
