# -*- coding: utf-8 -*-
"""Broken on purpose: private messages to john leak to mary too."""
from chatserver.settings import *  # noqa: F401,F403

ROOT_URLCONF = "leak_private_urls"
