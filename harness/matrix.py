"""The compatibility matrix: env names, what each env installs, and the labels.

This is the one place that knows which stack versions exist and what they pin,
what each stack and Django release declares it supports, and so which envs the
``full`` label holds.  tox.ini (``python -m harness.toxini``), the GitHub
workflow (``python -m harness.workflow``) and the report's grids derive from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.support import full_env_names

ENV_NAME = re.compile(
    r"^py(?P<py_major>\d)(?P<py_minor>\d+)"
    r"-django(?P<dj_major>\d)(?P<dj_minor>\d+)"
    r"-(?P<family>[a-z][a-z0-9]*?)(?P<release>\d+)$"
)


class BadEnvName(ValueError):
    """An env name that does not follow py<XY>-django<XY>-<stack><major>."""


@dataclass(frozen=True)
class StackRelease:
    """One major release line of a WebSocket stack and what it pins."""

    family: str  # "ws4redis" or "channels": picks the chat server and client protocol
    package: str
    version: str
    servers: tuple[str, ...]
    # Pins of the stack's own dependencies that the matrix relies on, keyed by
    # the oldest Python they apply to (the newest matching key wins).
    support_pins: tuple[tuple[tuple[int, int], tuple[str, ...]], ...] = ()
    # Channel layers (Channels only): every server runs once per layer.
    layers: tuple[str, ...] = ()

    @property
    def modes(self) -> tuple[str, ...]:
        """The server modes an env checks: "uwsgi", or "daphne+redis" when layers apply."""
        if not self.layers:
            return self.servers
        return tuple(f"{server}+{layer}" for server in self.servers for layer in self.layers)

    def pins_for(self, python: tuple[int, int]) -> tuple[str, ...]:
        chosen: tuple[str, ...] = ()
        for since, pins in self.support_pins:
            if python >= since:
                chosen = pins
        return chosen


WS4REDIS_SERVERS = ("runserver", "uwsgi")
CHANNELS_SERVERS = ("runserver", "daphne", "uvicorn")

STACK_RELEASES: dict[str, StackRelease] = {
    "ws4redis04": StackRelease(
        "ws4redis",
        "django-websocket-redis",
        "0.4.6",
        WS4REDIS_SERVERS,
        # The 2016 seed ran redis-py 2.10; uWSGI 2.0.31 still builds on 2.7.
        (((2, 7), ("redis==2.10.6", "uWSGI==2.0.31", "gevent")),),
    ),
    "ws4redis05": StackRelease(
        "ws4redis",
        "django-websocket-redis",
        "0.5.2",
        WS4REDIS_SERVERS,
        (((2, 7), ("redis<3.6", "uWSGI==2.0.31", "gevent")),),
    ),
    "ws4redis06": StackRelease(
        "ws4redis",
        "django-websocket-redis",
        "0.6.0",
        WS4REDIS_SERVERS,
        (((2, 7), ("redis<4", "uWSGI==2.0.31", "gevent")),),
    ),
    # Channels: runserver is Channels' own up to 3 and daphne's from 4; uvicorn
    # speaks ASGI 2 (Channels 2) and ASGI 3.  Companion releases of the same era.
    "channels2": StackRelease(
        "channels",
        "channels",
        "2.4.0",
        CHANNELS_SERVERS,
        (
            ((3, 6), ("channels-redis==2.4.2", "daphne==2.5.0", "uvicorn==0.16.0", "websockets==9.1")),
            # uvicorn 0.16 passes websockets a logger, which websockets accepts from 10.
            ((3, 7), ("channels-redis==2.4.2", "daphne==2.5.0", "uvicorn==0.16.0", "websockets==10.1")),
        ),
        layers=("redis", "inmemory"),  # RedisPubSubChannelLayer arrived in channels_redis 3.3
    ),
    "channels3": StackRelease(
        "channels",
        "channels",
        "3.0.5",
        CHANNELS_SERVERS,
        (((3, 6), ("channels-redis==3.4.1", "daphne==3.0.2", "uvicorn==0.16.0", "websockets==10.1")),),
        layers=("redis", "pubsub", "inmemory"),
    ),
    "channels4": StackRelease(
        "channels",
        "channels",
        "4.3.2",
        CHANNELS_SERVERS,
        (((3, 9), ("channels-redis==4.3.0", "daphne==4.2.3", "uvicorn>=0.30", "websockets>=13")),),
        layers=("redis", "pubsub", "inmemory"),
    ),
}


@dataclass(frozen=True)
class EnvSpec:
    """Everything an env name says: interpreter, Django line and stack release."""

    name: str
    python: tuple[int, int]
    django: tuple[int, int]
    release_key: str

    @property
    def stack(self) -> StackRelease:
        return STACK_RELEASES[self.release_key]

    @property
    def python_version(self) -> str:
        return ".".join(map(str, self.python))

    @property
    def django_version(self) -> str:
        return ".".join(map(str, self.django))

    @property
    def servers(self) -> tuple[str, ...]:
        """Server modes, e.g. ("runserver", "uwsgi") or ("daphne+redis", ...)."""
        return self.stack.modes

    def select_modes(self, wanted: Sequence[str]) -> tuple[str, ...]:
        """The modes matching any of ``wanted`` (a whole mode, a server or a layer); all when empty."""

        def matches(mode: str, name: str) -> bool:
            return name in (mode, *mode.split("+"))

        for name in wanted:
            if not any(matches(mode, name) for mode in self.servers):
                raise ValueError(f"{self.name} has no server mode {name!r}; its modes are {', '.join(self.servers)}")
        return tuple(m for m in self.servers if not wanted or any(matches(m, name) for name in wanted))

    def requirements(self) -> list[str]:
        major, minor = self.django
        django_pin = f"Django>={major}.{minor},<{major}.{minor + 1}"
        stack_pin = f"{self.stack.package}=={self.stack.version}"
        return [django_pin, stack_pin, *self.stack.pins_for(self.python)]


def parse_env_name(name: str) -> EnvSpec:
    match = ENV_NAME.match(name)
    if not match:
        raise BadEnvName(
            f"bad env name {name!r}: expected py<XY>-django<XY>-<stack><major>, "
            "e.g. py27-django18-ws4redis04 (see `tox -l`)"
        )
    release_key = match["family"] + match["release"]
    if release_key not in STACK_RELEASES:
        known = ", ".join(sorted(STACK_RELEASES))
        raise BadEnvName(f"unknown stack release {release_key!r} in {name!r}: known are {known}")
    return EnvSpec(
        name=name,
        python=(int(match["py_major"]), int(match["py_minor"])),
        django=(int(match["dj_major"]), int(match["dj_minor"])),
        release_key=release_key,
    )


# Labels select groups of envs (tox -m LABEL).  The seed rows repeat the 2016
# report, including the interpreters it had and we do not (reported as such).
LABELS: dict[str, tuple[str, ...]] = {
    "seed": (
        "py27-django18-ws4redis04",
        "py27-django19-ws4redis04",
        "py32-django18-ws4redis04",
        "py33-django18-ws4redis04",
        "py34-django18-ws4redis04",
        "py34-django19-ws4redis04",
        "py35-django18-ws4redis04",
        "py35-django19-ws4redis04",
    ),
    "ws4redis": (
        "py36-django111-ws4redis05",
        "py37-django22-ws4redis06",
        "py311-django22-ws4redis06",
        "py311-django42-ws4redis06",
        "py312-django52-ws4redis06",
    ),
    "channels": (
        "py36-django22-channels2",
        "py38-django30-channels2",  # the seed 002 stack: Channels 2.4 on Django 3.0
        "py38-django31-channels3",
        "py39-django32-channels3",
        "py310-django42-channels4",
        "py311-django42-channels4",
        "py312-django52-channels4",
        "py313-django52-channels4",
        "py312-django60-channels4",
        # One step past declared support, reported whatever happens.
        "py38-django32-channels2",
        "py310-django42-channels3",
        "py311-django41-channels4",
    ),
}
# What README line 1 runs: the seed rows plus one modern env of each stack.
LABELS["main"] = LABELS["seed"] + ("py37-django22-ws4redis06", "py311-django42-channels4")
# Everything: what each stack and Django release declares plus one step past each
# edge (harness/support.py), then every env the other labels name, so that
# `tox -m full` runs every env of `tox -l` and one report holds them all.
LABELS["full"] = tuple(dict.fromkeys([*full_env_names(), *(n for names in LABELS.values() for n in names)]))


def all_env_names() -> list[str]:
    seen: dict[str, None] = {}
    for names in LABELS.values():
        for name in names:
            seen.setdefault(name, None)
    return list(seen)
