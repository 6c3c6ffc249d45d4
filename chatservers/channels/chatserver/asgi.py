"""The ASGI application: Django for HTTP, the chat consumers for WebSocket.

Channels 2 speaks ASGI 2 and serves HTTP itself when "http" is left out;
Channels 3+ speak ASGI 3 and take Django's own ASGI handler for HTTP, which
Django has from 3.0.  On Django 2.2, Channels 3 falls back to its own
(deprecated) AsgiHandler when "http" is left out, as a 2.2 project would.
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatserver.settings")

from chatserver.versions import CHANNELS_MAJOR, DJANGO_VERSION  # noqa: E402

DJANGO_SERVES_HTTP = CHANNELS_MAJOR >= 3 and DJANGO_VERSION >= (3, 0)

if DJANGO_SERVES_HTTP:
    from django.core.asgi import get_asgi_application

    django_http = get_asgi_application()  # sets Django up before the consumers are imported
else:
    import django

    django.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402

protocols = {"websocket": AuthMiddlewareStack(URLRouter(websocket_urlpatterns))}
if DJANGO_SERVES_HTTP:
    protocols["http"] = django_http

application = ProtocolTypeRouter(protocols)
