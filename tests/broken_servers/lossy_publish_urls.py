# -*- coding: utf-8 -*-
import itertools

from django.http import HttpResponse

from chatserver import views
from chatserver.urls import url, urlpatterns as _base

DROP_EVERY = 4
_counter = itertools.count(1)


def _lossy(view):
    def publish_or_drop(request):
        if next(_counter) % DROP_EVERY == 0:
            return HttpResponse("OK")  # silently dropped
        return view(request)

    return publish_or_drop


urlpatterns = [
    url(r"^userchat/$", _lossy(views.user_chat)),
    url(r"^groupchat/$", _lossy(views.group_chat)),
] + _base
