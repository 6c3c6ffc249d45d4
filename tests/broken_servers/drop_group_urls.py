# -*- coding: utf-8 -*-
from django.http import HttpResponse

from chatserver.urls import url, urlpatterns as _base


def silent_group_chat(request):
    return HttpResponse("OK")


urlpatterns = [url(r"^groupchat/$", silent_group_chat)] + _base
