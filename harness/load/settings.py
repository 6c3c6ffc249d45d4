"""Settings of the load users, shared by the locustfile and the driver.

A Locust run gets them as command-line options (``--chat-stack``,
``--load-users``...); options left empty are filled from the manifest that
``harness serve`` writes for its URL, so ``locust -f locustfile.py --host URL``
is all the web UI needs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from harness.errors import BadInput
from harness.load.population import DEFAULT_GROUP_SIZE
from harness.paths import work_root
from harness.results.files import write_atomic
from harness.stacks.base import KINDS

DEFAULT_MIX = "broadcast=1,user=1,group=1"


def manifest_path(url: str) -> Path:
    parsed = urlparse(url)
    return work_root() / "serve" / f"{parsed.hostname}-{parsed.port}.json"


@dataclass(frozen=True)
class ServeManifest:
    """What ``harness serve`` started: enough for Locust to talk to it."""

    url: str
    env: str
    server: str
    stack: str
    load_users: int
    group_size: int

    def write(self) -> Path:
        path = manifest_path(self.url)
        write_atomic(path, json.dumps(asdict(self), indent=2) + "\n")
        return path

    @staticmethod
    def read(url: str) -> ServeManifest | None:
        path = manifest_path(url.rstrip("/"))
        try:
            return ServeManifest(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None


def parse_mix(text: str) -> dict[str, float]:
    """``"broadcast=2,user=1,group=1"`` -> weights by kind (unnamed kinds weigh 0)."""
    weights = dict.fromkeys(KINDS, 0.0)
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, weight = part.partition("=")
        kind = kind.strip()
        if kind not in KINDS:
            raise BadInput(f"bad --mix {text!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
        try:
            weights[kind] = float(weight) if weight else 1.0
        except ValueError:
            raise BadInput(f"bad --mix {text!r}: weight of {kind} is not a number") from None
        if weights[kind] < 0:
            raise BadInput(f"bad --mix {text!r}: weight of {kind} is negative")
    if not any(weights.values()):
        raise BadInput(f"bad --mix {text!r}: every weight is 0")
    return weights


@dataclass(frozen=True)
class LoadSettings:
    stack: str
    load_users: int
    group_size: int
    message_rate: float  # messages per second per user
    mix: dict[str, float]
    message_bytes: int
    loss_timeout: float
    publish_path: str = "auto"
    # Several server processes (--processes N): user i logs in and connects to hosts[i % N].
    hosts: tuple[str, ...] = ()

    @staticmethod
    def from_options(options: Any, host: str) -> LoadSettings:
        manifest = ServeManifest.read(host) if host else None
        stack = options.chat_stack or (manifest.stack if manifest else "")
        if not stack:
            raise BadInput(
                f"no --chat-stack given and no `harness serve` manifest for {host!r}: "
                "pass --chat-stack ws4redis|channels and --load-users N"
            )
        load_users = options.load_users or (manifest.load_users if manifest else 0)
        if load_users < 1:
            raise BadInput("no --load-users given and no `harness serve` manifest to take it from")
        group_size = options.group_size or (manifest.group_size if manifest else DEFAULT_GROUP_SIZE)
        if options.message_rate <= 0:
            raise BadInput(f"--message-rate must be > 0, got {options.message_rate}")
        if options.loss_timeout <= 0:
            raise BadInput(f"--loss-timeout must be > 0, got {options.loss_timeout}")
        return LoadSettings(
            stack=stack,
            load_users=load_users,
            group_size=group_size,
            message_rate=options.message_rate,
            mix=parse_mix(options.mix),
            message_bytes=options.message_bytes,
            loss_timeout=options.loss_timeout,
            publish_path=getattr(options, "publish_path", "auto") or "auto",
            hosts=tuple(h for h in (getattr(options, "chat_hosts", "") or "").split(",") if h),
        )


def add_locust_options(parser: Any) -> None:
    """Register the load options on Locust's parser (also shown in its web UI)."""
    group = parser.add_argument_group("Chat harness", "how the WebSocket chat users behave")
    group.add_argument("--chat-stack", default="", env_var="LOCUST_CHAT_STACK", help="ws4redis or channels")
    group.add_argument("--load-users", type=int, default=0, help="generated users in the server's database")
    group.add_argument("--group-size", type=int, default=0, help=f"members per load group ({DEFAULT_GROUP_SIZE})")
    group.add_argument("--message-rate", type=float, default=1.0, help="messages per second sent by each user")
    group.add_argument("--mix", default=DEFAULT_MIX, help="weights of the message kinds")
    group.add_argument("--message-bytes", type=int, default=128, help="size of each message")
    group.add_argument("--loss-timeout", type=float, default=5.0, help="seconds before a delivery counts as lost")
    group.add_argument(
        "--publish-path",
        default="auto",
        choices=("auto", "socket", "http"),
        help="send over the socket or by HTTP POST where the stack offers both (auto: the stack's first)",
    )
    group.add_argument("--chat-hosts", default="", help="comma-separated URLs of several server processes")
    shape = parser.add_argument_group("Capacity", "step load (only with the capacity shape file)")
    shape.add_argument("--step-users", type=int, default=10, help="users added per step")
    shape.add_argument("--step-seconds", type=float, default=15.0, help="duration of each step")
    shape.add_argument("--max-users", type=int, default=200, help="stop stepping at this many users")
    shape.add_argument("--p99-limit-ms", type=float, default=250.0, help="p99 delivery latency a step may reach")
    shape.add_argument("--capacity-out", default="", help="where to write the capacity steps (JSON)")
