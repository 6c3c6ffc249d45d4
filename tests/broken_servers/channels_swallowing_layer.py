"""Broken on purpose, for the Channels chat server: a redis channel layer that
swallows a lost Redis connection.  The receive that hit it waits forever, so the
sockets stay open and hear nothing more: "silently deaf" after a Redis restart."""
import asyncio

import redis.exceptions
from channels_redis.core import RedisChannelLayer


class SwallowingRedisChannelLayer(RedisChannelLayer):
    async def receive(self, channel):
        try:
            return await super().receive(channel)
        except redis.exceptions.ConnectionError:
            await asyncio.Event().wait()  # never set: the consumer neither fails nor hears
