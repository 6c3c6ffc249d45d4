"""Broken on purpose: a socket quiet for 3 s is closed (code 4408)."""
from chatserver.settings import *  # noqa: F401,F403

CHAT_CONSUMER = "channels_broken.IdleClosingConsumer"
CHAT_IDLE_CLOSE_SECONDS = 3
