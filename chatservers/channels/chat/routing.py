"""WebSocket routes.  Channels 3+ need ``as_asgi()``; Channels 2 takes the class."""
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.urls import re_path
from django.utils.module_loading import import_string

from chat.consumers import EchoConsumer, ProbeConsumer
from chatserver.versions import CHANNELS_MAJOR


def _app(consumer):
    return consumer.as_asgi() if CHANNELS_MAJOR >= 3 else consumer


_chat = _app(import_string(settings.CHAT_CONSUMER))
# The chat behind Channels' production defence against cross-site WebSocket
# hijacking (AllowedHostsOriginValidator, ALLOWED_HOSTS): the harness's Origin
# check uses this route.  /ws/chat/ stays without it, so that a validator that
# fails (Channels 2.4 on Python 3.8.18: a 500 for every handshake) does not hide
# the delivery matrix (DECISIONS 6).
_secure_chat = AllowedHostsOriginValidator(_chat) if settings.CHAT_ORIGIN_VALIDATOR else _chat

websocket_urlpatterns = [
    re_path(r"^ws/chat/$", _chat),
    re_path(r"^ws/secure/chat/$", _secure_chat),
    re_path(r"^ws/probe/$", _app(ProbeConsumer)),
    re_path(r"^ws/echo/$", _app(EchoConsumer)),  # harness conformance
]
