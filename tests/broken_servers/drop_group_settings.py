# -*- coding: utf-8 -*-
"""Broken on purpose: group messages are accepted and never published."""
from chatserver.settings import *  # noqa: F401,F403

ROOT_URLCONF = "drop_group_urls"
