"""The Channels chat server's group names (chatservers/channels/chat/groups.py):
two distinct users, groups or rooms never share a channel-layer group (DECISIONS 7)."""

from __future__ import annotations

import importlib.util
import itertools
import re

import pytest

from harness.paths import CHATSERVERS

_SPEC = importlib.util.spec_from_file_location("chat_groups", CHATSERVERS / "channels" / "chat" / "groups.py")
assert _SPEC is not None and _SPEC.loader is not None
groups = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(groups)

VALID_GROUP = re.compile(r"^[A-Za-z0-9_.-]{1,99}$")  # channels.layers.BaseChannelLayer's rule
LONG = "a" * 149
# Django user names may hold letters, digits and @ . + - _ (up to 150 characters);
# group names anything (up to 150).  Each pair used to fold or cut to one group.
NAMES = [
    "john",
    "john_x",
    "john+x",
    "john@x",
    "john.x",
    "john-x",
    "John",
    "jöhn",
    LONG + "b",
    LONG + "c",
    "x" * 40,
    "x" * 41,
    "a_" + "0" * 32,
    "chat users",
    "chat_users",
]
SESSIONS = ["main", "s" * 40, "a_b"]


@pytest.mark.parametrize("kind", [groups.user_group, groups.django_group, groups.room_group])
def test_distinct_names_never_share_a_group(kind) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for session, name in itertools.product(SESSIONS, NAMES):
        group = kind(session, name)
        assert VALID_GROUP.match(group), group
        assert seen.setdefault(group, (session, name)) == (session, name), f"{seen[group]} and {(session, name)}"


def test_a_plain_user_keeps_a_readable_group_name() -> None:
    assert groups.user_group("main", "john") == "main.user.john"


def test_user_group_and_django_group_of_one_name_differ() -> None:
    assert groups.user_group("main", "john") != groups.django_group("main", "john")


def test_a_target_that_is_not_a_name_is_a_bad_command() -> None:
    with pytest.raises(ValueError):
        groups.audience("main", "user", ["mary"])
