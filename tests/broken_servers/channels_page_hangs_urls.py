"""Broken on purpose: the chat page hangs for a browser (not for the scripted
clients): a view that never answers in time, as a deadlocked server does."""
import time

from django.urls import re_path

from chatserver import views
from chatserver.urls import urlpatterns as _base

HANG_SECONDS = 45  # longer than any one WebDriver command may take (30 s)


def hanging_chat_page(request):
    if "Chrome" in request.META.get("HTTP_USER_AGENT", ""):
        time.sleep(HANG_SECONDS)
    return views.chat_page(request)


urlpatterns = [re_path(r"^$", hanging_chat_page)] + _base
