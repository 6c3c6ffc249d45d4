"""A plain GET of the socket URL reaches a view that crashes: 500 instead of 4xx."""
from django.urls import re_path

from chatserver.urls import urlpatterns as _base


def crashing_view(request):
    raise RuntimeError("broken on purpose: the socket URL answers plain HTTP with 500")


urlpatterns = [re_path(r"^ws/chat/$", crashing_view)] + _base
