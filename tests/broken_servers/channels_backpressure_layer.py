"""Broken on purpose, for the Channels chat server: an in-memory channel layer that,
instead of dropping a message for a full channel (ChannelFull, which group_send skips),
waits until that channel has room.  One consumer that cannot send to its unread
socket then stalls every sender of a group message it belongs to: head-of-line
blocking for the whole chat (run it where a send to a full socket waits: uvicorn).
The stalled senders stop reading their own channels, which fill in turn, so the
consumers end up waiting for each other: the chat stays stalled after the slow
socket is gone."""
import asyncio

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer


class BackpressureChannelLayer(InMemoryChannelLayer):
    async def send(self, channel, message):
        while True:
            try:
                return await super().send(channel, message)
            except ChannelFull:
                await asyncio.sleep(0.01)  # wait for room: the sender's consumer stalls
