# -*- coding: utf-8 -*-
"""uWSGI entry point: WEBSOCKET_URL paths go to ws4redis, the rest to Django."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatserver.settings")

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

_django_app = get_wsgi_application()

from ws4redis.uwsgi_runserver import uWSGIWebsocketServer  # noqa: E402

_websocket_app = uWSGIWebsocketServer()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith(settings.WEBSOCKET_URL):
        return _websocket_app(environ, start_response)
    return _django_app(environ, start_response)
