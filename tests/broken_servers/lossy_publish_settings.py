# -*- coding: utf-8 -*-
"""Broken on purpose: one private or group message in four is answered OK and never published."""
from chatserver.settings import *  # noqa: F401,F403

ROOT_URLCONF = "lossy_publish_urls"
