"""The chat page, and the server-side publisher: an HTTP POST that calls
``channel_layer.group_send``, as a Django view publishing to sockets would.
"""
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import logout as auth_logout
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chat import groups


def chat_page(request):
    return render(request, "chat.html")


@require_POST
def publish(request):
    if not request.user.is_authenticated:
        return HttpResponseForbidden("log in first")
    kind = request.POST.get("kind", "")
    target = request.POST.get("target", "")
    message = request.POST.get("message", "")
    if not message:
        return HttpResponseBadRequest("message is required")
    session = groups.session_tag(request.POST.get("session", ""))
    try:
        group = groups.audience(session, kind, target)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    event = groups.chat_event(kind, request.user.username, target, message)
    async_to_sync(get_channel_layer().group_send)(group, event)
    return JsonResponse({"ok": True})


def logout(request):
    """Log out over HTTP (POST, with the CSRF token) as a browser's logout button does."""
    if request.method != "POST":
        return HttpResponseBadRequest("POST only")
    auth_logout(request)
    return HttpResponse("logged out")
