"""The ASGI application: Django for HTTP, the chat consumers for WebSocket.

Channels 2 speaks ASGI 2 and serves HTTP itself when "http" is left out;
Channels 3+ speak ASGI 3 and take Django's own ASGI handler for HTTP.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatserver.settings")

from chatserver.versions import CHANNELS_MAJOR  # noqa: E402

if CHANNELS_MAJOR >= 3:
    from django.core.asgi import get_asgi_application

    django_http = get_asgi_application()  # sets Django up before the consumers are imported
else:
    import django

    django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402

protocols = {"websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns))}
if CHANNELS_MAJOR >= 3:
    protocols["http"] = django_http

application = ProtocolTypeRouter(protocols)
