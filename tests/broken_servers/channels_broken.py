"""Broken on purpose, for the Channels chat server: a channel layer and consumers
with one bug each.  Each *_settings module below selects one of them.
"""
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from chat.consumers import ChatConsumer


class LeakyChannelLayer(InMemoryChannelLayer):
    """Delivers every group message to every group's members (each channel once)."""

    async def group_send(self, group, message):
        channels = {channel for members in self.groups.values() for channel in members}
        for channel in channels:
            try:
                await self.send(channel, message)
            except ChannelFull:
                pass


class MuteConsumer(ChatConsumer):
    """Accepts the socket and handles commands, but never sends a frame to it."""

    async def send(self, text_data=None, bytes_data=None, close=False):
        if close:
            await self.close()

    async def send_json(self, content, close=False):  # it does not go through send()
        if close:
            await self.close()


class LaxStaffConsumer(ChatConsumer):
    """Lets anybody into the staff-only room."""

    def may_join(self, room):
        return True
