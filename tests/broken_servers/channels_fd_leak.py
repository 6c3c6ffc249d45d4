"""Broken on purpose, for the Channels chat server: a consumer that opens a file per
connection and never closes it, so every client that comes and goes costs the
server one file descriptor for good."""
import os

from chat.consumers import ChatConsumer

_LEAKED = []  # kept, never closed


class FdLeakingConsumer(ChatConsumer):
    async def connect(self):
        _LEAKED.append(os.open(os.devnull, os.O_RDONLY))
        await super().connect()
