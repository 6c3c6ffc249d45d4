"""What a heavy (deep) scenario may act on besides its sockets: the mode's server
processes (to read their memory and descriptors), and a server of the mode on a
Redis of its own (to restart that Redis: no other mode's server, idle socket or
held check shares it, DECISIONS 5).  The runner registers one ``LiveSut`` with each
run of the scenarios; run on their own, the scenarios have none and those checks skip."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.sut.prepare import PreparedSut
from harness.sut.redis_server import PrivateRedis, private_redis
from harness.sut.spread import ServerGroup
from harness.sut.usage import Usage, tree_usage

LIVE_KEY = pytest.StashKey["LiveSut"]()
_serial = itertools.count(1)


@dataclass(frozen=True)
class OwnRedisServer:
    """A server of the mode started for one check, with its own private Redis."""

    base_url: str
    redis: PrivateRedis
    log_path: Path


@dataclass
class LiveSut:
    server_pids: Callable[[], list[int]]  # the mode's server processes (each the root of its tree)
    prepared: PreparedSut
    mode: str
    run_tag: str  # the mode's run ("-m3"): the own server's files are named after it

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[LIVE_KEY] = self

    def usage(self) -> Usage:
        return tree_usage(self.server_pids())

    @contextlib.contextmanager
    def server_on_own_redis(self) -> Iterator[OwnRedisServer]:
        """A fresh server of this mode (its own database copy and port) on a fresh
        private Redis; both stopped afterwards, whatever happens."""
        prepared, tag = self.prepared, f"{self.run_tag}-own{next(_serial)}"
        with private_redis(prepared.work_dir, prepared.config.options.redis) as redis:
            config = dataclasses.replace(prepared.config, redis=redis.endpoint)
            db = prepared.database_copy(f"chat{tag}-{self.mode}")
            scratch, logs = prepared.scratch_dir, prepared.log_dir
            server = ServerGroup(config, prepared.sut, self.mode, db, scratch, tag, keep_dir=logs)
            try:
                record = server.await_ready()
                if not record.started:
                    raise HarnessError(f"{self.mode} on its own Redis did not start: {record.error}")
                yield OwnRedisServer(server.base_url, redis, server.log_path)
            finally:
                server.stop()


def live_sut_of(config: pytest.Config) -> LiveSut | None:
    return config.stash.get(LIVE_KEY, None)
