"""Stack releases: the servers and channel layers of each stack family (the one
table that the stack adapters read too), and each release line with its pins.
"""

from __future__ import annotations

from dataclasses import dataclass

# The servers each stack family's chat server runs under, and its channel layers
# (CHAT_CHANNEL_LAYER values of chatservers/channels).  harness/stacks/ builds each
# server's command from this table.
SERVERS: dict[str, tuple[str, ...]] = {
    "ws4redis": ("runserver", "uwsgi"),
    # runserver is Channels' own up to 3 and daphne's from 4.
    "channels": ("runserver", "daphne", "uvicorn"),
}
LAYERS: dict[str, tuple[str, ...]] = {
    # RedisChannelLayer, RedisPubSubChannelLayer (channels_redis 3.3+), InMemoryChannelLayer.
    "channels": ("redis", "pubsub", "inmemory"),
}
MODE_SEPARATOR = "+"


def join_mode(server: str, layer: str) -> str:
    return f"{server}{MODE_SEPARATOR}{layer}"


def split_mode(mode: str) -> tuple[str, str]:
    """("daphne", "redis") for "daphne+redis"; ("uwsgi", "") for a mode without a layer."""
    server, _, layer = mode.partition(MODE_SEPARATOR)
    return server, layer


@dataclass(frozen=True)
class StackRelease:
    """One major release line of a WebSocket stack and what it pins."""

    family: str  # "ws4redis" or "channels": picks the chat server and client protocol
    package: str
    version: str
    # Pins of the stack's own dependencies that the matrix relies on, keyed by
    # the oldest Python they apply to (the newest matching key wins).
    support_pins: tuple[tuple[tuple[int, int], tuple[str, ...]], ...] = ()
    # Channel layers (Channels only): every server runs once per layer.
    layers: tuple[str, ...] = ()

    @property
    def servers(self) -> tuple[str, ...]:
        return SERVERS[self.family]

    @property
    def modes(self) -> tuple[str, ...]:
        """The server modes an env checks: "uwsgi", or "daphne+redis" when layers apply."""
        if not self.layers:
            return self.servers
        return tuple(join_mode(server, layer) for server in self.servers for layer in self.layers)

    def pins_for(self, python: tuple[int, int]) -> tuple[str, ...]:
        chosen: tuple[str, ...] = ()
        for since, pins in self.support_pins:
            if python >= since:
                chosen = pins
        return chosen


STACK_RELEASES: dict[str, StackRelease] = {
    "ws4redis04": StackRelease(
        "ws4redis",
        "django-websocket-redis",
        "0.4.6",
        # The 2016 seed ran redis-py 2.10; uWSGI 2.0.31 still builds on 2.7.
        (((2, 7), ("redis==2.10.6", "uWSGI==2.0.31", "gevent")),),
    ),
    "ws4redis05": StackRelease(
        "ws4redis",
        "django-websocket-redis",
        "0.5.2",
        (((2, 7), ("redis<3.6", "uWSGI==2.0.31", "gevent")),),
    ),
    "ws4redis06": StackRelease(
        "ws4redis",
        "django-websocket-redis",
        "0.6.0",
        (((2, 7), ("redis<4", "uWSGI==2.0.31", "gevent")),),
    ),
    # Channels: runserver is Channels' own up to 3 and daphne's from 4; uvicorn
    # speaks ASGI 2 (Channels 2) and ASGI 3.  Companion releases of the same era.
    "channels2": StackRelease(
        "channels",
        "channels",
        "2.4.0",
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
        (((3, 6), ("channels-redis==3.4.1", "daphne==3.0.2", "uvicorn==0.16.0", "websockets==10.1")),),
        layers=("redis", "pubsub", "inmemory"),
    ),
    "channels4": StackRelease(
        "channels",
        "channels",
        "4.3.2",
        (((3, 9), ("channels-redis==4.3.0", "daphne==4.2.3", "uvicorn>=0.30", "websockets>=13")),),
        layers=("redis", "pubsub", "inmemory"),
    ),
}
