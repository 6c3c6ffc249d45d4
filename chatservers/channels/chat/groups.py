"""Channel-layer group names and events, shared by the consumer and the publisher view.

Every group is scoped by a session tag, so that chat sessions (a harness run,
a load test) on the same server never see each other's messages.
"""
import hashlib
import re

DEFAULT_SESSION = "main"
_SESSION = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")  # what a Channels group name may not contain

KINDS = ("broadcast", "user", "group")


def session_tag(value):
    return value if value and _SESSION.match(value) else DEFAULT_SESSION


_PLAIN = re.compile(r"^[A-Za-z0-9-]{1,40}$")  # kept as it is: no "_", ".", nor a clash with _part()


def _part(value):
    """A group-name part that no other value maps to.

    Folding unsafe characters to "_" and cutting at 99 characters made "john+x"
    and "john_x", or two 150-character user names with one prefix, share a group
    (and so each other's private messages).  A name that is not plainly safe keeps
    a readable prefix and gets a digest of the whole value; "_" marks it, and a
    plain part never contains "_".
    """
    if _PLAIN.match(value):
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
    return "{}_{}".format(_UNSAFE.sub("-", value)[:12], digest)


def _name(session, *parts):
    name = ".".join([session] + [_part(part) for part in parts])
    assert len(name) < 100, name  # Channels' limit; session 40, ".group." 7, part 45 at most
    return name


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
    if kind != "broadcast" and not isinstance(target, str):
        raise ValueError("the target must be a name, not {}".format(type(target).__name__))
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
