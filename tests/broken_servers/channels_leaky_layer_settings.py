"""Broken on purpose: group messages reach every group (run it with an inmemory mode)."""
from chatserver.settings import *  # noqa: F401,F403

CHANNEL_LAYERS = {"default": {"BACKEND": "channels_broken.LeakyChannelLayer"}}
