"""Heavy (deep): the Redis restart check, on a server of the mode with a Redis of
its own (harness/run/redis_restart.py; issue 12, DECISIONS 3 and 5)."""

from __future__ import annotations

import secrets

import pytest

from harness.run.delivery import ChatSession
from harness.run.redis_restart import CHECK, restart_redis_under
from harness.stacks import stack_for

pytestmark = [pytest.mark.deep(CHECK)]


def test_redis_restart(request: pytest.FixtureRequest, live_sut, record_check, record_fact) -> None:
    stack = stack_for(request.config.getoption("--chat-stack"))
    with live_sut.server_on_own_redis() as own:
        if not own.redis.restartable:
            record_fact("redis restart", {"not_tested": "a shared Redis (REDIS_URL or --redis URL) is never restarted"})
            pytest.skip("not tested: shared Redis")
        tag = secrets.token_hex(4)
        session = ChatSession(own.base_url, request.config.getoption("--chat-server"), stack.protocol(tag), tag)
        try:
            found = restart_redis_under(session, stack, own.redis, own.log_path)
        finally:
            session.close()
    record_check(CHECK, found.ok, found.detail, family="robustness", value=found.value)
    assert found.ok, found.detail
