"""What the chat servers' fixtures hold (fixtures/*.json): the scripted users,
their password, the group, and the multichat rooms."""

from __future__ import annotations

from collections.abc import Mapping

USERS = ("admin", "john", "mary")  # fixtures/users.json; admin is staff
PASSWORD = "secret"
GROUPS: Mapping[str, tuple[str, ...]] = {"chatusers": ("john", "mary")}
LOBBY = "lobby"  # fixtures/rooms.json
STAFF_ROOM = "staff"  # staff_only: admin may join, john and mary may not
