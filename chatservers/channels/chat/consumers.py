"""The chat consumer: a JSON command protocol over one socket per user.

Client to server:
  {"command": "broadcast", "message": M}
  {"command": "user", "user": U, "message": M}
  {"command": "group", "group": G, "message": M}       G is a Django group
  {"command": "join" | "leave", "room": R}
  {"command": "send", "room": R, "message": M}
Server to client:
  {"type": "chat", "kind": K, "from": SENDER, "target": T, "message": M}
  {"join": R, "title": TITLE} / {"leave": R}            answers to join / leave
  {"room": R, "msg_type": "enter" | "leave" | "message", "username": U[, "message": M]}
  {"error": "ROOM_ACCESS_DENIED" | "ROOM_INVALID" | "BAD_COMMAND"}
"""
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

from chat import groups
from chat.models import Room


class ClientError(Exception):
    """A command the client may not make; its code goes back as {"error": code}."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@database_sync_to_async
def _group_names(user):
    return list(user.groups.values_list("name", flat=True))


@database_sync_to_async
def _room(name):
    try:
        return Room.objects.get(name=name)
    except Room.DoesNotExist:
        raise ClientError("ROOM_INVALID")


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close()  # before accept: the handshake is refused
            return
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.session = groups.session_tag(query.get("session", [""])[0])
        self.user = user
        self.rooms = set()
        self.subscribed = [groups.broadcast_group(self.session), groups.user_group(self.session, user.username)]
        self.subscribed += [groups.django_group(self.session, name) for name in await _group_names(user)]
        # Subscribe before accepting: once the client sees 101, nothing is missed.
        for group in self.subscribed:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for room in list(getattr(self, "rooms", ())):
            await self._leave(room)  # the others are told; the closed socket is not
        for group in getattr(self, "subscribed", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        command = content.get("command") if isinstance(content, dict) else None
        try:
            if command in groups.KINDS:
                await self.chat(command, content)
            elif command == "join":
                await self.join_room(str(content.get("room", "")))
            elif command == "leave":
                await self.leave_room(str(content.get("room", "")))
            elif command == "send":
                await self.send_room(str(content.get("room", "")), content.get("message", ""))
            else:
                raise ClientError("BAD_COMMAND")
        except ClientError as exc:
            await self.send_json({"error": exc.code})

    # Commands ------------------------------------------------------------
    async def chat(self, kind, content):
        target = content.get("user") if kind == "user" else content.get("group")
        try:
            group = groups.audience(self.session, kind, target)
        except ValueError:
            raise ClientError("BAD_COMMAND")
        event = groups.chat_event(kind, self.user.username, target, content.get("message", ""))
        await self.channel_layer.group_send(group, event)

    def may_join(self, room):
        return self.user.is_staff or not room.staff_only

    async def join_room(self, name):
        room = await _room(name)
        if not self.may_join(room):
            raise ClientError("ROOM_ACCESS_DENIED")
        group = groups.room_group(self.session, room.name)
        await self.channel_layer.group_add(group, self.channel_name)
        self.rooms.add(room.name)
        await self.send_json({"join": room.name, "title": room.title})
        await self.channel_layer.group_send(group, self._room_event(room.name, "enter"))

    async def leave_room(self, name):
        if name not in self.rooms:
            raise ClientError("ROOM_ACCESS_DENIED")
        await self._leave(name)
        await self.send_json({"leave": name})

    async def _leave(self, name):
        group = groups.room_group(self.session, name)
        await self.channel_layer.group_send(group, self._room_event(name, "leave"))
        await self.channel_layer.group_discard(group, self.channel_name)
        self.rooms.discard(name)

    async def send_room(self, name, message):
        if name not in self.rooms:
            raise ClientError("ROOM_ACCESS_DENIED")
        await self.channel_layer.group_send(
            groups.room_group(self.session, name), self._room_event(name, "message", message)
        )

    def _room_event(self, room, msg_type, message=None):
        event = {"type": "room.event", "room": room, "msg_type": msg_type, "username": self.user.username}
        if message is not None:
            event["message"] = message
        return event

    # Channel-layer handlers ----------------------------------------------
    async def chat_message(self, event):
        await self.send_json(
            {"type": "chat", "kind": event["kind"], "from": event["from"], "target": event["target"],
             "message": event["message"]}
        )

    async def room_event(self, event):
        await self.send_json({key: value for key, value in event.items() if key != "type"})


class ProbeConsumer(AsyncWebsocketConsumer):
    """Accepts anyone: the harness's readiness probe (a 101 means WebSocket works)."""

    async def connect(self):
        await self.accept()


class EchoConsumer(AsyncWebsocketConsumer):
    """Sends back each text or binary message exactly as received: the endpoint that
    ``harness conformance`` drives with Autobahn|Testsuite (nothing else uses it)."""

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is not None:
            await self.send(text_data=text_data)
        else:
            await self.send(bytes_data=bytes_data)
