"""Broken on purpose: the consumer raises on websocket.disconnect (after its cleanup)."""
from chatserver.settings import *  # noqa: F401,F403

CHAT_CONSUMER = "channels_broken.DisconnectRaisingConsumer"
