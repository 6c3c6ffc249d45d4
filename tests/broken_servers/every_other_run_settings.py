# -*- coding: utf-8 -*-
"""Broken on purpose, every other time: in every other server run (told apart by
the Redis key prefix the harness gives each run, "...-m<index>"), group
messages are accepted and never published.  The same cells fail in one run and
pass in the next: a flaky server with a known pattern."""
import os

from chatserver.settings import *  # noqa: F401,F403

_run = os.environ.get("CHAT_REDIS_PREFIX", "").rpartition("-m")[2]
if _run.isdigit() and int(_run) % 2 == 0:
    ROOT_URLCONF = "drop_group_urls"
