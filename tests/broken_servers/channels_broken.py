"""Broken on purpose, for the Channels chat server: a channel layer and consumers
with one bug each.  Each *_settings module below selects one of them.
"""
import asyncio
import time

from channels.exceptions import ChannelFull
from django.conf import settings
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


class IdleClosingConsumer(ChatConsumer):
    """Closes a socket quiet for CHAT_IDLE_CLOSE_SECONDS (no frame either way), as a
    proxy or server with a short idle timeout does."""

    async def dispatch(self, message):
        self._last_frame = time.monotonic()  # every event in or out passes here
        await super().dispatch(message)

    async def connect(self):
        await super().connect()
        if hasattr(self, "user"):  # accepted (an anonymous socket is refused before)
            self._last_frame = time.monotonic()
            self._watch = asyncio.ensure_future(self._close_when_idle())

    async def _close_when_idle(self):
        limit = float(getattr(settings, "CHAT_IDLE_CLOSE_SECONDS", 3))
        while True:
            left = self._last_frame + limit - time.monotonic()
            if left <= 0:
                await self.close(code=4408)
                return
            await asyncio.sleep(left)

    async def disconnect(self, code):
        watch = getattr(self, "_watch", None)
        if watch is not None:
            watch.cancel()
        await super().disconnect(code)


class DisconnectRaisingConsumer(ChatConsumer):
    """Delivers everything, but raises on one message type: websocket.disconnect."""

    async def disconnect(self, code):
        await super().disconnect(code)
        raise RuntimeError("broken on purpose: raised on websocket.disconnect")
