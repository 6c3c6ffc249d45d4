"""WebSocket routes.  Channels 3+ need ``as_asgi()``; Channels 2 takes the class."""
from django.conf import settings
from django.urls import re_path
from django.utils.module_loading import import_string

from chat.consumers import EchoConsumer, ProbeConsumer
from chatserver.versions import CHANNELS_MAJOR


def _app(consumer):
    return consumer.as_asgi() if CHANNELS_MAJOR >= 3 else consumer


websocket_urlpatterns = [
    re_path(r"^ws/chat/$", _app(import_string(settings.CHAT_CONSUMER))),
    re_path(r"^ws/probe/$", _app(ProbeConsumer)),
    re_path(r"^ws/echo/$", _app(EchoConsumer)),  # harness conformance
]
