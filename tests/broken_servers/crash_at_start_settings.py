# -*- coding: utf-8 -*-
"""Broken on purpose: any server process dies while loading settings.

migrate and loaddata still work, so the failure is the server's own.
"""
import sys

from chatserver.settings import *  # noqa: F401,F403

if not {"migrate", "loaddata"} & set(sys.argv):
    raise RuntimeError("deliberately broken chat server: crash at start")
