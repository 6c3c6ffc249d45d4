"""Fixtures for the scenarios that drive a live chat server.

    pytest scenarios --chat-url http://127.0.0.1:8000 --chat-stack ws4redis --chat-server runserver

``harness run`` starts Redis and the server and calls exactly this.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from harness.run.delivery import ChatSession, DeliveryResult, delivery_cells
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
    group.addoption("--chat-deep", action="store_true", help="run the heavy checks (marked deep) too")
    group.addoption(
        "--chat-first-of-server",
        action="store_true",
        help="this mode is the first of its server in the run: run the checks marked per_server",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "deep: a heavy check, run only with --chat-deep (harness run --deep)")
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Optional checks not asked for are deselected: they are neither run nor recorded."""
    deep, first = config.getoption("--chat-deep"), config.getoption("--chat-first-of-server")
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        wanted = (deep or item.get_closest_marker("deep") is None) and (
            first or item.get_closest_marker("per_server") is None
        )
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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
        session = ChatSession(chat_url, request.config.getoption("--chat-server"), stack.protocol(tag), tag, urls)
        yield session
    finally:
        if session is not None:
            session.close()


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
