"""How the chat project is wired for one run: settings, Redis, key prefix, paths."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.paths import CHATSERVERS
from harness.stacks.base import Stack
from harness.sut.redis_server import RedisEndpoint
from harness.sut.venv import SutEnv

# Settings overlay putting Django's MD5 hasher first (see its docstring).
FAST_LOGIN_DIR = CHATSERVERS / "fast_login"
FAST_LOGIN_SETTINGS = "harness_fast_login_settings"


@dataclass(frozen=True)
class ChatOptions:
    """What a user chooses about the chat project (``--settings``, ``--pythonpath``,
    ``--keep-password-hasher``), the same for ``harness run``, ``serve`` and ``load``."""

    settings_module: str = "chatserver.settings"
    extra_pythonpath: tuple[Path, ...] = ()
    fast_password_hasher: bool = True  # Django's MD5 hasher first (chatservers/fast_login)
    redis: str = ""  # --redis: "embedded", "system", a redis:// URL, or "" ($REDIS_URL, else system, else embedded)


@dataclass(frozen=True)
class ChatConfig:
    """Where the chat project lives and how it is wired for one run."""

    stack: Stack
    options: ChatOptions
    redis: RedisEndpoint
    key_prefix: str
    bytecode_dir: Path | None = None  # this env's own bytecode cache (Python 3.8+)
    extra_environment: Mapping[str, str] = field(default_factory=dict)  # the env variant's CHAT_* variables

    def environment(self, sut: SutEnv, db_path: Path, key_suffix: str = "") -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DJANGO_", "CHAT_"))}
        path = [str(self.stack.project_dir), *map(str, self.options.extra_pythonpath)]
        settings = self.options.settings_module
        if self.options.fast_password_hasher:
            env["CHAT_BASE_SETTINGS"] = settings  # the overlay imports the real settings from here
            settings, path = FAST_LOGIN_SETTINGS, [*path, str(FAST_LOGIN_DIR)]
        # Parallel envs share the project folder: leave it read-only.  From 3.8 the
        # bytecode goes to the env's own folder instead, so warm starts skip compiling.
        if self.bytecode_dir is not None and sut.interpreter.version_tuple >= (3, 8):
            env["PYTHONPYCACHEPREFIX"] = str(self.bytecode_dir)
        else:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.update(
            PATH=f"{sut.bin_dir}{os.pathsep}{env.get('PATH', '')}",
            VIRTUAL_ENV=str(sut.venv),
            PYTHONPATH=os.pathsep.join(path),
            PYTHONWARNINGS="default",  # show Django's deprecation warnings in the log
            PYTHONUNBUFFERED="1",
            DJANGO_SETTINGS_MODULE=settings,
            CHAT_DB=str(db_path),
            CHAT_REDIS_HOST=self.redis.host,
            CHAT_REDIS_PORT=str(self.redis.port),
            CHAT_REDIS_DB=str(self.redis.db),
            CHAT_REDIS_PREFIX=self.key_prefix + key_suffix,
        )
        env.update(self.extra_environment)
        return env
