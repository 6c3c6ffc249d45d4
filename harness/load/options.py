"""What a load run is asked to do: users, rates, mix, duration, capacity steps."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.errors import BadInput
from harness.load.population import DEFAULT_GROUP_SIZE, LoadPopulation
from harness.load.settings import DEFAULT_MIX
from harness.sut.config import ChatOptions

RUN_TIME = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?$")


def parse_run_time(text: str) -> int:
    """Locust's run-time syntax ("30s", "2m", "1h30m", "45") in seconds."""
    match = RUN_TIME.match(text.strip())
    if not text.strip() or not match or not any(match.groupdict().values()):
        raise BadInput(f"bad run time {text!r}: use e.g. 30s, 2m or 1h30m")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    if seconds <= 0:
        raise BadInput(f"bad run time {text!r}: must be more than 0 s")
    return seconds


@dataclass(frozen=True)
class Capacity:
    step_users: int = 10
    step_seconds: float = 15.0
    max_users: int = 200
    p99_limit_ms: float = 250.0

    @property
    def seconds(self) -> float:
        return (self.max_users // self.step_users) * self.step_seconds


@dataclass(frozen=True)
class LoadOptions:
    users: int = 50
    spawn_rate: float = 10.0
    run_time: str = "30s"
    workers: int = 0
    message_rate: float = 1.0
    mix: str = DEFAULT_MIX
    message_bytes: int = 128
    loss_timeout: float = 5.0
    load_users: int = 0  # 0: as many as Locust users (or capacity's max users)
    group_size: int = DEFAULT_GROUP_SIZE
    publish_path: str = "auto"
    capacity: Capacity | None = None
    chat: ChatOptions = ChatOptions()
    processes: int = 1  # server processes, each on its own port; users spread round robin

    def __post_init__(self) -> None:
        # Refuse a bad --run-time, --load-users or --group-size before anything starts.
        self.run_seconds  # noqa: B018
        self.population  # noqa: B018

    @property
    def run_seconds(self) -> float:
        return self.capacity.seconds + self.capacity.step_seconds if self.capacity else parse_run_time(self.run_time)

    @property
    def population(self) -> LoadPopulation:
        wanted = self.load_users or (self.capacity.max_users if self.capacity else self.users)
        return LoadPopulation(wanted, self.group_size)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("capacity", "chat")}
        out["load_users"] = self.population.count
        out["capacity"] = self.capacity.__dict__ if self.capacity else None
        out["settings_module"] = self.chat.settings_module
        out["fast_password_hasher"] = self.chat.fast_password_hasher
        return out
