"""What a conformance result is keyed by (DECISIONS 12), so that a matrix run
tests each server once.

The key of one server is built from:

- the server's name ("daphne", "uvicorn", "uwsgi", "runserver") and its stack family;
- the exact version of each installed package that handles its WebSocket frames
  (``SERVER_PACKAGES``): daphne + autobahn + Twisted; uvicorn + websockets /
  wsproto (its WebSocket implementation); uWSGI + ws4redis; ws4redis for its dev
  server; wsaccel wherever installed (ws4redis and autobahn validate UTF-8 and
  unmask with it when present);
- the exact Python version and the env's variant (e.g. ``wsaccel``);
- the cases run and the tool's version;
- for a ``--with`` path or wheel, a hash of its contents (none today).

The key is a SHA-256 of those facts as sorted JSON; the facts themselves are
stored beside the result.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

from harness.conformance.tool import TOOL, TOOL_VERSION

# By stack family and server: the packages whose code answers the WebSocket frames.
SERVER_PACKAGES: dict[tuple[str, str], tuple[str, ...]] = {
    # Django only parses the upgrade request; ws4redis/websocket.py does the framing.
    ("ws4redis", "runserver"): ("django-websocket-redis",),
    ("ws4redis", "uwsgi"): ("uWSGI", "django-websocket-redis", "gevent"),
    # Channels' runserver is daphne's (Channels 4) or Channels' own on daphne (2, 3).
    ("channels", "runserver"): ("daphne", "channels", "autobahn", "Twisted"),
    ("channels", "daphne"): ("daphne", "autobahn", "Twisted"),
    ("channels", "uvicorn"): ("uvicorn", "websockets", "wsproto"),
}
ALWAYS = ("wsaccel",)
# The package whose version names the server in the report ("daphne 4.2.3").
NAMED_BY: dict[tuple[str, str], str] = {
    ("ws4redis", "runserver"): "django-websocket-redis",
    ("ws4redis", "uwsgi"): "uWSGI",
    ("channels", "runserver"): "daphne",
    ("channels", "daphne"): "daphne",
    ("channels", "uvicorn"): "uvicorn",
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def server_packages(family: str, server: str, installed: Mapping[str, str]) -> dict[str, str]:
    """The installed versions of the packages that make up ``server`` (absent ones left out)."""
    by_normal = {_normal(k): (k, v) for k, v in installed.items()}
    found = {}
    for wanted in (*SERVER_PACKAGES[(family, server)], *ALWAYS):
        if _normal(wanted) in by_normal:
            name, version = by_normal[_normal(wanted)]
            found[name] = version
    return found


def server_version(family: str, server: str, packages: Mapping[str, str]) -> str:
    named = NAMED_BY[(family, server)]
    return next((v for k, v in packages.items() if _normal(k) == _normal(named)), "unknown")


def run_name(family: str, server: str, facts: Mapping[str, object]) -> str:
    """The report folder's name: server, version, Python, variant and the start of the
    key without the cases (two envs may differ only in a companion, e.g. ws4redis under
    one uWSGI), e.g.
    ``daphne-4.2.3-py3.11.7-3fa2c1`` or ``ws4redis-runserver-0.4.6-py2.7.18-wsaccel-08be4e``."""
    packages = facts["packages"]
    assert isinstance(packages, dict)
    label = f"ws4redis-{server}" if family == "ws4redis" and server == "runserver" else server
    version = server_version(family, server, packages)
    # Not the cases: `--cases all` and the main job's selection replace each other's row.
    same_server = {k: v for k, v in facts.items() if k != "cases"}
    parts = (label, version, f"py{facts['python']}", str(facts["variant"]), cache_key(same_server)[:6])
    return "-".join(filter(None, parts))


def cache_key(facts: Mapping[str, object]) -> str:
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:20]


def key_facts(
    family: str, server: str, packages: Mapping[str, str], python: str, variant: str, patterns: list[str]
) -> dict[str, object]:
    return {
        "family": family,
        "server": server,
        "packages": dict(sorted(packages.items())),
        "python": python,
        "variant": variant,
        "cases": patterns,
        "tool": f"{TOOL}=={TOOL_VERSION}",
    }
