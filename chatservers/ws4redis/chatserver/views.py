# -*- coding: utf-8 -*-
"""Chat views: a page, and HTTP publishers for private and group messages."""
from django.contrib.auth import logout as auth_logout
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from ws4redis.publisher import RedisPublisher
from ws4redis.redis_store import RedisMessage

DEFAULT_FACILITY = "chat"


def _is_authenticated(user):
    # A method before Django 1.10, a property since (callable until 2.0).
    value = user.is_authenticated
    return value() if callable(value) else value


def chat_page(request):
    return render(request, "chat.html", {"facility": DEFAULT_FACILITY})


def _publish(request, **audience):
    if request.method != "POST":
        return HttpResponseBadRequest("POST only")
    if not _is_authenticated(request.user):
        return HttpResponseForbidden("log in first")
    message = request.POST.get("message")
    if not message:
        return HttpResponseBadRequest("message is required")
    facility = request.POST.get("facility", DEFAULT_FACILITY)
    publisher = RedisPublisher(facility=facility, **audience)
    publisher.publish_message(RedisMessage(message))
    return HttpResponse("OK")


def user_chat(request):
    """Publish ``message`` to the user named ``user`` (ws4redis user channel)."""
    user = request.POST.get("user")
    if not user:
        return HttpResponseBadRequest("user is required")
    return _publish(request, users=[user])


def group_chat(request):
    """Publish ``message`` to the members of group ``group`` (ws4redis group channel)."""
    group = request.POST.get("group")
    if not group:
        return HttpResponseBadRequest("group is required")
    return _publish(request, groups=[group])


def logout(request):
    """Log out over HTTP (POST, with the CSRF token) as a browser's logout button does."""
    if request.method != "POST":
        return HttpResponseBadRequest("POST only")
    auth_logout(request)
    return HttpResponse("logged out")
