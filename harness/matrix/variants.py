"""Variants: upstream's own remedies and setups, run beside the default env.

A variant is a trailing factor of an env name (``py27-django18-ws4redis04-wsaccel``);
the plain name stays the default.  Each variant says which stack families it
applies to, what it adds to the SUT venv (exact pins, keyed by the oldest Python
they apply to, as ``StackRelease.support_pins``), and the ``CHAT_*`` environment
the chat server needs for it (read by chatservers/*/chatserver/settings.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

Version = tuple[int, int]


@dataclass(frozen=True)
class Variant:
    """One upstream remedy or setup, and what it changes in the SUT."""

    name: str
    families: tuple[str, ...]  # stack families it applies to
    pins: tuple[tuple[Version, tuple[str, ...]], ...]  # (oldest Python, exact pins); the newest matching wins
    summary: str
    environment: Mapping[str, str] = field(default_factory=dict)  # extra CHAT_* for the chat server

    def pins_for(self, python: Version) -> tuple[str, ...]:
        chosen: tuple[str, ...] = ()
        for since, pins in self.pins:
            if python >= since:
                chosen = pins
        return chosen


VARIANTS: dict[str, Variant] = {
    # ws4redis's docs (docs/installation.rst:50 at 0.4.6 and 0.6.0): "optional, but
    # recommended: wsaccel >=0.6"; setup.py's extra `wsaccel` (line 59 at 0.4.6, 61 at
    # 0.6.0).  How it is picked up, the same at 0.4.6 and 0.6.0: ws4redis/utf8validator.py:37-38
    # is `try: from wsaccel.utf8validator import Utf8Validator`, and only when that import
    # fails does line 42 define the pure-Python fallback, whose validate() (lines 122-123)
    # first does `ba.decode()` with no encoding: ASCII on Python 2, and on 3 it then feeds
    # code points, not bytes, to its byte table.  ws4redis/websocket.py:8 imports that name;
    # WebSocket.validate_utf8 (websocket.py:147 at 0.4.6, 148 at 0.6.0) runs it on every
    # text frame of the dev server's socket (runserver mode), and receive() answers its
    # UnicodeError with close code 1007 (websocket.py:215-217 at 0.4.6, 218-220 at 0.6.0).
    # uWSGI mode uses uWSGI's own websocket code, never this validator.
    #
    # wsaccel compiles from its sdist (gcc and the Python headers; the sdists ship the C
    # that Cython generated).  Each Python gets the newest release declaring it
    # (classifiers): 0.6.3 is the last declaring 2.7 (2.7, 3.6 to 3.9; C of Cython
    # 0.29.21), 0.6.4 declares 3.7 to 3.11 (Cython 0.29.32), 0.6.7 declares 3.9 to 3.13
    # (Requires-Python >=3.9; Cython 3.0.11, fetched by the isolated build).
    "wsaccel": Variant(
        "wsaccel",
        ("ws4redis",),
        (((2, 7), ("wsaccel==0.6.3",)), ((3, 7), ("wsaccel==0.6.4",)), ((3, 9), ("wsaccel==0.6.7",))),
        "wsaccel's C UTF-8 validator instead of ws4redis's pure-Python one",
    ),
    # The session engine of ws4redis's example (examples/chatserver/settings.py:42 at
    # 0.4.6 and 0.6.0), its docs (docs/installation.rst:175) and seed 000; setup.py's
    # extra `django-redis-sessions`.  0.6.2 (2021, the newest; pure Python, Python 2
    # and 3, requires redis>=2.4.10, so it keeps each release's redis-py pin) reads one
    # SESSION_REDIS dict (since 0.6): the example's flat SESSION_REDIS_PREFIX is ignored
    # there.  CHAT_SESSIONS=redis turns it on in chatservers/ws4redis/chatserver/settings.py.
    "redissessions": Variant(
        "redissessions",
        ("ws4redis",),
        (((2, 7), ("django-redis-sessions==0.6.2",)),),
        "sessions in Redis (django-redis-sessions), as upstream's example, instead of signed cookies",
        environment={"CHAT_SESSIONS": "redis"},
    ),
}
