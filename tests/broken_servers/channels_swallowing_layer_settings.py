"""Broken on purpose: the redis layer swallows a lost connection (run it with a redis mode)."""
from chatserver.settings import *  # noqa: F401,F403
from chatserver.settings import _REDIS_CONFIG

CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_swallowing_layer.SwallowingRedisChannelLayer", "CONFIG": _REDIS_CONFIG}
}
