"""Broken on purpose, for the Channels chat server: a channel layer and consumers
with one bug each.  Each *_settings module below selects one of them.
"""
import asyncio
import time
import os
import time
from urllib.parse import parse_qs

from channels.exceptions import ChannelFull
from django.conf import settings
from channels.layers import InMemoryChannelLayer

from chat import groups
from chat.consumers import ChatConsumer

# Longer than the harness's health probe waits (its delivery timeout), with room: the
# probe's wait starts about 0.6 s after the bad frame (its listen, a socket reopened),
# and with 1 s more a slow client once saw the block end in time (a fresh CI run).
BLOCK_SECONDS = float(os.environ.get("HARNESS_DELIVERY_TIMEOUT", "3")) + 2.0


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
class InsecureConsumer(ChatConsumer):
    """Believes what the client says: a ``user`` in the query string subscribes the
    socket to that user's private group (eavesdropping), and a ``from`` field in a
    command names the sender (impersonation).  Clients that send neither see no
    difference."""

    async def connect(self):
        await super().connect()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        for name in query.get("user", []):
            group = groups.user_group(self.session, name)
            self.subscribed.append(group)
            await self.channel_layer.group_add(group, self.channel_name)

    async def chat(self, kind, content):
        claimed = content.get("from")
        if not claimed:
            return await super().chat(kind, content)
        target = content.get("user") if kind == "user" else content.get("group")
        event = groups.chat_event(kind, claimed, target, content.get("message", ""))
        await self.channel_layer.group_send(groups.audience(self.session, kind, target), event)


class FragileConsumer(InsecureConsumer):
    """Handles bad input badly, one way per check: an unknown command or a JSON list
    gets no answer, a binary frame or cut-off JSON blocks the server's event loop (a
    synchronous sleep in async code) for longer than the health probe waits, and a
    text frame over 256 KiB is left unanswered (as a size limit turned off would
    leave a server chewing)."""

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if bytes_data is not None or (text_data or "").startswith('{"command": "broadcast", "message": ') and not (
            text_data or ""
        ).endswith("}"):
            # A binary frame or cut-off JSON: blocking in async code, the bug on purpose.
            time.sleep(BLOCK_SECONDS)
            return
        if text_data is not None and len(text_data) > 256 * 1024:
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("command") not in groups.KINDS + ("join", "leave", "send"):
            return  # no BAD_COMMAND answer to an unknown command or a JSON list
        await super().receive_json(content, **kwargs)
