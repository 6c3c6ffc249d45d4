"""Room checks (multichat): join and leave notices, members-only room messages,
the staff-only room, each judged from what every client observed.

Absence ("admin got nothing from the room") is settled by the session's
barrier, as for delivery cells.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import ClientError
from harness.fixtures import LOBBY, STAFF_ROOM
from harness.run.delivery import ChatSession
from harness.stacks.base import Rooms

ACCESS_DENIED = {"error": "ROOM_ACCESS_DENIED"}

Predicate = Callable[[dict], bool]


@dataclass
class RoomCheck:
    name: str
    ok: bool
    detail: str


def is_frame(**fields: object) -> Predicate:
    return lambda frame: all(frame.get(key) == value for key, value in fields.items())


class RoomScenario:
    """Drives rooms through a chat session whose protocol has rooms."""

    def __init__(self, session: ChatSession) -> None:
        if not isinstance(session.protocol, Rooms):
            raise TypeError("this stack has no rooms")
        self.session = session
        self.rooms: Rooms = session.protocol
        self.problems: list[str] = []
        session.reopen_closed_sockets()  # never inherit a socket an earlier check got closed
        self._marks = session.marks()

    # Observing -------------------------------------------------------------
    def mark(self) -> None:
        self._marks = self.session.marks()

    def frames(self, user: str) -> list[dict]:
        """Every JSON frame ``user`` got since the last mark."""
        since = self._marks[user]
        return [self.rooms.fields(f.text) for f in self.session.clients[user].inbox.snapshot()[since:]]

    def expect(self, user: str, what: str, predicate: Predicate) -> bool:
        """Wait for a frame matching ``predicate``; note a problem if it never comes."""
        since = self._marks[user]
        seen = self.session.clients[user].inbox.wait_for(
            lambda frames: any(predicate(self.rooms.fields(f.text)) for f in frames[since:]),
            self.session.wait_timeout(user),
        )
        if not seen:
            self.problems.append(f"{user} did not get {what}")
        return seen

    def expect_none(self, users: tuple[str, ...], what: str, predicate: Predicate) -> None:
        """After a barrier: none of ``users`` got a frame matching ``predicate``."""
        self.problems.extend(self.session.barrier())
        for user in users:
            if any(predicate(frame) for frame in self.frames(user)):
                self.problems.append(f"{user} got {what} but should not have")

    def expect_once(self, user: str, what: str, predicate: Predicate) -> None:
        if self.expect(user, what, predicate):
            count = sum(1 for frame in self.frames(user) if predicate(frame))
            if count > 1:
                self.problems.append(f"{user} got {what} {count} times")

    # Acting ------------------------------------------------------------------
    def act(self, user: str, action: str, room: str, text: str = "") -> None:
        client = self.session.clients[user]
        try:
            if action == "join":
                self.rooms.join(client, room)
            elif action == "leave":
                self.rooms.leave(client, room)
            else:
                self.rooms.send_to_room(client, room, text)
        except ClientError as exc:
            self.problems.append(f"{user} could not {action} {room}: {exc}")

    def join(self, user: str, room: str) -> bool:
        self.mark()
        self.act(user, "join", room)
        return self.expect(user, f"the answer to joining {room}", is_frame(join=room))

    def leave(self, user: str, room: str) -> None:
        self.mark()
        self.act(user, "leave", room)
        self.expect(user, f"the answer to leaving {room}", is_frame(leave=room))

    def verdict(self, name: str, passed_detail: str) -> RoomCheck:
        ok = not self.problems
        return RoomCheck(name, ok, passed_detail if ok else "; ".join(self.problems))

    # The checks -------------------------------------------------------------
    def join_notice(self) -> RoomCheck:
        """mary joins a room john is in: john is told, admin (outside) is not."""
        self.join("john", LOBBY)
        if self.join("mary", LOBBY):
            enter = is_frame(room=LOBBY, msg_type="enter", username="mary")
            self.expect_once("john", "mary's join notice", enter)
            self.expect_none(("admin",), "mary's join notice", enter)
        self._leave_quietly("john", "mary")
        return self.verdict("room join notice", "john was told mary joined; admin, outside, was not")

    def members_only(self) -> RoomCheck:
        """A room message reaches every member once and nobody else."""
        self.join("john", LOBBY)
        self.join("mary", LOBBY)
        self.mark()
        text = f"room message {self.session.session_tag}"
        self.act("john", "send", LOBBY, text)
        said = is_frame(room=LOBBY, msg_type="message", username="john", message=text)
        for member in ("john", "mary"):
            self.expect_once(member, "john's room message", said)
        self.expect_none(("admin",), "john's room message", said)
        self._leave_quietly("john", "mary")
        return self.verdict("room messages reach members only", "john and mary got it once, admin did not")

    def leave_notice(self) -> RoomCheck:
        """mary leaves: john is told, and later room messages no longer reach her."""
        self.join("john", LOBBY)
        self.join("mary", LOBBY)
        self.leave("mary", LOBBY)
        self.expect("john", "mary's leave notice", is_frame(room=LOBBY, msg_type="leave", username="mary"))
        self.mark()
        text = f"after mary left {self.session.session_tag}"
        self.act("john", "send", LOBBY, text)
        said = is_frame(room=LOBBY, msg_type="message", message=text)
        self.expect("john", "his own room message", said)
        self.expect_none(("mary", "admin"), "a room message after leaving", said)
        self._leave_quietly("john")
        return self.verdict("room leave notice", "john was told mary left; she got nothing from the room after")

    def staff_only(self) -> RoomCheck:
        """john and mary are refused with ROOM_ACCESS_DENIED, admin is admitted,
        and a staff-room message reaches neither non-staff user."""
        for user in ("john", "mary"):
            self.mark()
            self.act(user, "join", STAFF_ROOM)
            self.expect(user, "ROOM_ACCESS_DENIED for the staff room", is_frame(**ACCESS_DENIED))
            if any(is_frame(join=STAFF_ROOM)(frame) for frame in self.frames(user)):
                self.problems.append(f"{user} (not staff) was admitted to the staff-only room")
        if self.join("admin", STAFF_ROOM):
            self.mark()
            text = f"staff only {self.session.session_tag}"
            self.act("admin", "send", STAFF_ROOM, text)
            said = is_frame(room=STAFF_ROOM, msg_type="message", message=text)
            self.expect("admin", "his own staff-room message", said)
            self.expect_none(("john", "mary"), "a staff-room message", said)
            self._leave_quietly("admin", room=STAFF_ROOM)
        else:
            self.problems.append("admin (staff) was not admitted to the staff-only room")
        self._leave_quietly("john", "mary", room=STAFF_ROOM)
        return self.verdict("staff-only room", "john and mary refused with ROOM_ACCESS_DENIED; admin admitted")

    def _leave_quietly(self, *users: str, room: str = LOBBY) -> None:
        """Leave without judging (clean-up between checks)."""
        for user in users:
            with contextlib.suppress(ClientError):
                self.rooms.leave(self.session.clients[user], room)
        self.session.barrier()
