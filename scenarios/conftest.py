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
    group.addoption("--chat-stack", default="ws4redis", help="stack family: ws4redis or channels")
    group.addoption("--chat-server", default="server", help="server mode name, recorded with each result")


def pytest_configure(config: pytest.Config) -> None:
    for line in (
        "per_server: does not depend on the channel layer: once per server (DECISIONS 8)",
        "provokes_server_errors: provokes server exceptions on purpose (DECISIONS 4)",
        "deep: heavy checks, only with harness run --deep",
        "early: runs before the other scenarios (it starts a wait that they overlap)",
    ):
        config.addinivalue_line("markers", line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable: the "early" ones first, everything else in its usual order.
    items.sort(key=lambda item: item.get_closest_marker("early") is None)


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
        session = ChatSession(chat_url, request.config.getoption("--chat-server"), stack.protocol(tag), tag)
        yield session
    finally:
        if session is not None:
            session.close()


@pytest.fixture
def record_delivery(request: pytest.FixtureRequest) -> Callable[[DeliveryResult], None]:
    collector = collector_of(request.config)
    return collector.deliveries.append if collector else (lambda result: None)


@pytest.fixture
def record_check(request: pytest.FixtureRequest) -> Callable[..., None]:
    collector = collector_of(request.config)

    def record(name: str, ok: bool, detail: str, family: str = "", value: object = None) -> None:
        if collector:
            server = request.config.getoption("--chat-server")
            check = {"name": name, "server": server, "ok": ok, "detail": detail}
            if family:
                check |= {"family": family, "value": value}
            collector.checks.append(check)

    return record
