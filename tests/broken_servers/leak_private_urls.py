# -*- coding: utf-8 -*-
from chatserver import views
from chatserver.urls import url, urlpatterns as _base


def leaky_user_chat(request):
    if request.POST.get("user") == "john":
        return views._publish(request, users=["john", "mary"])
    return views.user_chat(request)


urlpatterns = [url(r"^userchat/$", leaky_user_chat)] + _base
