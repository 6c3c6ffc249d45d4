"""Stack releases: the servers and channel layers of each stack family (the one
table that the stack adapters read too), and each release line with its pins.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.matrix.lines import CHANNELS_LINES, WS4REDIS_LINES, LineRelease, Pick, pick

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
    """One release line of a WebSocket stack (a major, or one minor line of it), its
    releases and the companions it is installed with."""

    family: str  # "ws4redis" or "channels": picks the chat server and client protocol
    package: str
    releases: tuple[LineRelease, ...]  # oldest first; a row tests lines.pick's choice
    # The companions, keyed by the oldest Python they apply to (the newest matching
    # key wins): exact where the era fixes them, else bounds or bare names that the
    # lock (harness/matrix/lock.py) resolves to exact versions.
    companions: tuple[tuple[tuple[int, int], tuple[str, ...]], ...] = ()
    # Channel layers (Channels only): every server runs once per layer.
    layers: tuple[str, ...] = ()
    title: str = ""  # e.g. "Channels 4" or "Channels 4.0"
    lower: str = ""  # the line as version bounds, for -latest: >=4,<5 or >=4.0,<4.1
    upper: str = ""

    @property
    def version(self) -> str:
        """The newest release of the line."""
        return self.releases[-1].version

    @property
    def servers(self) -> tuple[str, ...]:
        return SERVERS[self.family]

    @property
    def modes(self) -> tuple[str, ...]:
        """The server modes an env checks: "uwsgi", or "daphne+redis" when layers apply."""
        if not self.layers:
            return self.servers
        return tuple(join_mode(server, layer) for server in self.servers for layer in self.layers)

    def pick(self, python: tuple[int, int], django: tuple[int, int]) -> Pick:
        return pick(self.releases, python, django)

    def companions_for(self, python: tuple[int, int]) -> tuple[str, ...]:
        chosen: tuple[str, ...] = ()
        for since, pins in self.companions:
            if python >= since:
                chosen = pins
        return chosen


# ws4redis: the 2016 seed ran redis-py 2.10; uWSGI 2.0.31 still builds on 2.7.
Companions = tuple[tuple[tuple[int, int], tuple[str, ...]], ...]
_WS4REDIS_COMPANIONS: dict[str, Companions] = {
    "04": (((2, 7), ("redis==2.10.6", "uWSGI==2.0.31", "gevent")),),
    "05": (((2, 7), ("redis<3.6", "uWSGI==2.0.31", "gevent")),),
    "06": (((2, 7), ("redis<4", "uWSGI==2.0.31", "gevent")),),
}
# Channels: runserver is Channels' own up to 3 and daphne's from 4; uvicorn speaks
# ASGI 2 (Channels 2) and ASGI 3.  Older lines take companions of their era (upper
# bounds the lock resolves within); Channels 4 takes today's newest.
_CHANNELS_COMPANIONS: dict[str, Companions] = {
    "2": (
        # uvicorn 0.14+ needs asgiref 3.4, which Channels 2.0 and 2.1 (asgiref 2) exclude:
        # a bound, so that their rows get the older uvicorn a resolver would give them.
        ((3, 5), ("channels-redis<3", "daphne<3", "uvicorn<=0.16.0", "websockets==9.1")),
        # uvicorn 0.16 passes websockets a logger, which websockets accepts from 10.
        ((3, 7), ("channels-redis<3", "daphne<3", "uvicorn<=0.16.0", "websockets==10.1")),
    ),
    "3": (((3, 6), ("channels-redis<4", "daphne<4", "uvicorn==0.16.0", "websockets==10.1")),),
    "4": (((3, 7), ("channels-redis", "daphne", "uvicorn", "websockets")),),
}
# RedisPubSubChannelLayer arrived in channels_redis 3.3.
_ALL_LAYERS = ("redis", "pubsub", "inmemory")
_CHANNELS_LAYERS = {"2": ("redis", "inmemory"), "3": _ALL_LAYERS, "4": _ALL_LAYERS}


def _stack_releases() -> dict[str, StackRelease]:
    """Each major line (ws4redis04, channels4) and each minor line of a Channels major
    with more than one (channels40 ... channels43): the key an env name carries."""
    out: dict[str, StackRelease] = {}
    for line, releases in WS4REDIS_LINES.items():
        title, minor = f"django-websocket-redis {releases[-1].line}", int(line)
        companions, bounds = _WS4REDIS_COMPANIONS[line], (f"0.{minor}", f"0.{minor + 1}")
        package = "django-websocket-redis"
        out[f"ws4redis{line}"] = StackRelease("ws4redis", package, releases, companions, (), title, *bounds)
    for major, releases in CHANNELS_LINES.items():
        companions, layers = _CHANNELS_COMPANIONS[major], _CHANNELS_LAYERS[major]
        bounds = (major, str(int(major) + 1))
        out[f"channels{major}"] = StackRelease(
            "channels", "channels", releases, companions, layers, f"Channels {major}", *bounds
        )
        if len(releases) > 1:
            for release in releases:
                number, minor = (int(part) for part in release.line.split("."))
                bounds = (release.line, f"{number}.{minor + 1}")
                title = f"Channels {release.line}"
                key = f"channels{release.key_suffix}"
                out[key] = StackRelease("channels", "channels", (release,), companions, layers, title, *bounds)
    return out


STACK_RELEASES: dict[str, StackRelease] = _stack_releases()
