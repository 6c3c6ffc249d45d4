"""Fixtures for the scenarios that drive a live chat server.

    pytest scenarios --chat-url http://127.0.0.1:8000 --chat-stack ws4redis --chat-server runserver

``harness run`` starts Redis and the server and calls exactly this.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from harness.browser.shared import prestart
from harness.clients import WARMUP_TIMEOUT, ChatClient
from harness.clients_deflate import DeflateChatClient
from harness.fixtures import USERS
from harness.run.delivery import ChatSession, DeliveryResult, delivery_cells
from harness.run.live import LiveSut, live_sut_of
from harness.run.plugin import collector_of
from harness.stacks import stack_for


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chat", "live chat server under test")
    group.addoption("--chat-url", help="base URL of a running chat server, e.g. http://127.0.0.1:8000")
    group.addoption(
        "--chat-urls", default="", help="comma-separated URLs of the mode's server processes (--processes N)"
    )
    group.addoption("--chat-stack", default="ws4redis", help="stack family: ws4redis or channels")
    group.addoption("--chat-server", default="server", help="server mode name, recorded with each result")
    group.addoption("--chat-server-log", default="", help="the server log (for provoked errors)")
    group.addoption("--chat-deep", action="store_true", help="run the heavy checks (marked deep) too")
    group.addoption(
        "--chat-heavy", default="", help="with --chat-deep: only these heavy checks (comma-separated names)"
    )
    group.addoption(
        "--chat-part",
        choices=("all", "main", "late"),
        default="all",
        help="main: all but the checks marked late; late: only those (run once the mode's idle check is judged)",
    )
    group.addoption(
        "--chat-warmup",
        type=float,
        default=WARMUP_TIMEOUT,
        help="seconds the session's warm-up broadcasts may take (shorter where an earlier session was deaf)",
    )
    group.addoption(
        "--chat-first-of-server",
        action="store_true",
        help="this mode is the first of its server in the run: run the checks marked per_server",
    )
    group.addoption(
        "--chat-deflate",
        action="store_true",
        help="the scripted clients offer permessage-deflate as browsers do (websockets' client)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "deep(check): a heavy check, run only with --chat-deep (harness run --deep), named for --chat-heavy"
    )
    config.addinivalue_line(
        "markers",
        "per_server: a check that does not depend on the layer, run once per server "
        "(with --chat-first-of-server) unless harness run --every-mode",
    )
    config.addinivalue_line(
        "markers",
        "provokes_server_errors: the check provokes server exceptions on purpose; what the server "
        "logs meanwhile is its observation, not a finding against the mode",
    )
    config.addinivalue_line("markers", "early: runs before the other scenarios (it starts a wait they overlap)")
    config.addinivalue_line("markers", "late: runs after the other scenarios (it may break other sockets)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Optional checks not asked for are deselected: they are neither run nor recorded."""
    deep, first = config.getoption("--chat-deep"), config.getoption("--chat-first-of-server")
    heavy = {name for name in str(config.getoption("--chat-heavy")).split(",") if name}
    part = config.getoption("--chat-part")
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        late = item.get_closest_marker("late") is not None
        wanted = (
            (deep or item.get_closest_marker("deep") is None)
            and (not heavy or not _heavy_names(item) or bool(heavy & _heavy_names(item)))
            and (first or item.get_closest_marker("per_server") is None)
            and (part == "all" or late == (part == "late"))
        )
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    # Stable: the "early" ones first, then the usual order, then the heavy ("deep") ones,
    # which may leave the server changed (a Redis restart, vanished clients), the "late" last.
    items[:] = sorted(kept, key=_place)


def _heavy_names(item: pytest.Item) -> set[str]:
    marker = item.get_closest_marker("deep")
    return set(marker.args) if marker is not None else set()


def _place(item: pytest.Item) -> int:
    if item.get_closest_marker("late"):
        return 3
    if item.get_closest_marker("deep"):
        return 2
    return 0 if item.get_closest_marker("early") else 1


def pytest_collection_finish(session: pytest.Session) -> None:
    """A run with the real-browser check starts Chromium now, in the background: its
    start-up then hides behind the scenarios that come before it."""
    if any("real_browser" in item.nodeid for item in session.items):
        prestart()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Delivery cells depend on the stack: each publish path of each kind."""
    if "cell" in metafunc.fixturenames:
        protocol = stack_for(metafunc.config.getoption("--chat-stack")).protocol("cells")
        metafunc.parametrize("cell", delivery_cells(protocol.publish_paths), ids=str)


@pytest.fixture(scope="session")
def chat_url(request: pytest.FixtureRequest) -> str:
    url = request.config.getoption("--chat-url")
    if not url:
        pytest.skip("no --chat-url: these scenarios need a running chat server (harness run ENV)")
    return str(url)


@pytest.fixture(scope="session")
def chat(request: pytest.FixtureRequest, chat_url: str) -> Iterator[ChatSession]:
    stack = stack_for(request.config.getoption("--chat-stack"))
    tag = secrets.token_hex(4)
    session = None
    try:
        urls = [u for u in str(request.config.getoption("--chat-urls") or "").split(",") if u]
        client_type = DeflateChatClient if request.config.getoption("--chat-deflate") else ChatClient
        server = request.config.getoption("--chat-server")
        warmup = request.config.getoption("--chat-warmup")
        session = ChatSession(
            chat_url, server, stack.protocol(tag), tag, urls=urls, client_type=client_type, warmup=warmup
        )
        yield session
    finally:
        if session is not None:
            collector = collector_of(request.config)
            if collector is not None:
                collector.deaf = all(session.deaf(user) for user in USERS)
            session.close()


@pytest.fixture
def live_sut(request: pytest.FixtureRequest) -> LiveSut:
    """The mode's server processes and the env's Redis (harness/run/live.py)."""
    live = live_sut_of(request.config)
    if live is None:
        pytest.skip("no live server handle: the heavy checks run under harness run --deep")
    return live


@pytest.fixture
def record_delivery(request: pytest.FixtureRequest) -> Callable[[DeliveryResult], None]:
    collector = collector_of(request.config)
    return collector.deliveries.append if collector else (lambda result: None)


@pytest.fixture(scope="session")
def deep(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--chat-deep"))


@pytest.fixture(scope="session")
def first_of_server(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--chat-first-of-server"))


@pytest.fixture
def record_check(request: pytest.FixtureRequest) -> Callable[..., None]:
    """record_check(name, ok, detail, family="delivery", value=None): one check's verdict
    and what was observed; ``family`` groups checks in the report ("delivery",
    "security", "robustness", "sessions", "browser"), ``value`` is the observed figure
    or text (a limit in bytes, a time in seconds, a close code)."""
    collector = collector_of(request.config)

    def record(name: str, ok: bool, detail: str, family: str = "delivery", value: object = None) -> None:
        if collector:
            server = request.config.getoption("--chat-server")
            collector.checks.append(
                {"name": name, "server": server, "ok": ok, "detail": detail, "family": family, "value": value}
            )

    return record


@pytest.fixture
def record_fact(request: pytest.FixtureRequest) -> Callable[[str, object], None]:
    """Keep an observed fact (not a verdict) in the mode's server entry of the results."""
    collector = collector_of(request.config)
    return collector.facts.__setitem__ if collector else (lambda name, value: None)
