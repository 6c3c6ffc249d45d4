"""Broken on purpose: the chat consumer never sends to its socket."""
from chatserver.settings import *  # noqa: F401,F403

CHAT_CONSUMER = "channels_broken.MuteConsumer"
