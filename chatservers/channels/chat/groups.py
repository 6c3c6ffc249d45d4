"""Channel-layer group names and events, shared by the consumer and the publisher view.

Every group is scoped by a session tag, so that chat sessions (a harness run,
a load test) on the same server never see each other's messages.
"""
import re

DEFAULT_SESSION = "main"
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")  # what a Channels group name may not contain

KINDS = ("broadcast", "user", "group")


def session_tag(value):
    return value if value and _SESSION.match(value) else DEFAULT_SESSION


def _name(session, *parts):
    return ".".join([session] + [_UNSAFE.sub("_", part) for part in parts])[:99]


def broadcast_group(session):
    return _name(session, "broadcast")


def user_group(session, username):
    return _name(session, "user", username)


def django_group(session, group_name):
    return _name(session, "group", group_name)


def room_group(session, room_name):
    return _name(session, "room", room_name)


def audience(session, kind, target):
    """The group a chat message of ``kind`` to ``target`` is sent to."""
    if kind == "broadcast":
        return broadcast_group(session)
    if kind == "user" and target:
        return user_group(session, target)
    if kind == "group" and target:
        return django_group(session, target)
    raise ValueError("kind must be one of {} (user and group need a target)".format(", ".join(KINDS)))


def chat_event(kind, sender, target, message):
    return {
        "type": "chat.message",
        "kind": kind,
        "from": sender,
        "target": target or "everybody",
        "message": message,
    }
