"""Broken on purpose: group_send waits for room in a full channel (run it on uvicorn+inmemory)."""
from chatserver.settings import *  # noqa: F401,F403

# A small capacity: the stall starts ~1 s after the slow socket's consumer blocks.
CHANNEL_LAYERS = {
    "default": {"BACKEND": "channels_backpressure_layer.BackpressureChannelLayer", "CONFIG": {"capacity": 20}}
}
