"""Broken on purpose: the chat consumer leaks a file descriptor per connection."""
from chatserver.settings import *  # noqa: F401,F403

CHAT_CONSUMER = "channels_fd_leak.FdLeakingConsumer"
