# -*- coding: utf-8 -*-
"""Broken on purpose: ws4redis's request hook believes a ``user`` in the socket's
query string.  A socket that names mary hears mary's private messages (eavesdropping)
and, with publish-user, publishes into her channel (impersonation).  Sockets that
name nobody see no difference."""
from chatserver.settings import *  # noqa: F401,F403


def _trusting_process_request(request):
    # As ws4redis's WebsocketWSGIServer.process_request, plus the bug at the end.
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user
    from django.contrib.auth.models import User

    request.session = None
    request.user = None
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if session_key is not None:
        request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
        request.user = get_user(request)
    claimed = request.GET.get("user")
    if claimed:
        request.user = User.objects.get(username=claimed)


WS4REDIS_PROCESS_REQUEST = _trusting_process_request
