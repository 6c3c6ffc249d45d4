"""A minimal fan-out chat server, for measuring the load generator itself.

    python -m harness.load.fanout_server --port 8123 --load-users 50

A few lines of asyncio, no Django, no Redis: it speaks the Channels chat
server's wire protocol (``chatservers/channels``: login form, a JSON command
socket at ``/ws/chat/?session=S``, chat frames ``{"type": "chat", ...}``), so the
real load users (``locustfile.py``) drive it unchanged.  Anybody logs in with
any password; the session cookie is the user name.  Fan-out per session:
broadcast to every socket, a user's messages to that user's sockets, a group's
to its members' (the load population's own groups).  Binds 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import struct
from collections import defaultdict
from urllib.parse import parse_qs, urlsplit

from harness.load.population import DEFAULT_GROUP_SIZE, LoadPopulation

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
LOGIN_PATH = "/accounts/login/"
MAX_HEADER = 16384
MAX_FRAME = 1 << 20


class Hub:
    """Who is connected, by session: user name -> the writers of that user's sockets."""

    def __init__(self, population: LoadPopulation) -> None:
        self.population = population
        self.sessions: dict[str, dict[str, set[asyncio.StreamWriter]]] = defaultdict(lambda: defaultdict(set))

    def audience(self, session: str, kind: str, target: str) -> list[asyncio.StreamWriter]:
        users = self.sessions[session]
        if kind == "broadcast":
            names = list(users)
        elif kind == "user":
            names = [target]
        else:
            names = [n for n in users if target in self.groups_of(n)]
        return [w for n in names for w in users.get(n, ())]

    def groups_of(self, user: str) -> frozenset[str]:
        try:
            return self.population.groups_of(user)
        except KeyError:  # not a load user: in no group
            return frozenset()


def frame(text: str) -> bytes:
    data = text.encode()
    size = len(data)
    if size < 126:
        head = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 127, size)
    return head + data


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    b0, b1 = await reader.readexactly(2)
    size = b1 & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    mask = await reader.readexactly(4) if b1 & 0x80 else b"\0\0\0\0"
    data = bytearray(await reader.readexactly(size))
    for i in range(size):
        data[i] ^= mask[i % 4]
    return b0 & 0x0F, bytes(data)


def http_answer(status: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def handle(hub: Hub, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEADER:
            return
        request, *lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
        cookies = dict(c.strip().partition("=")[::2] for c in headers.get("cookie", "").split(";") if "=" in c)
        url = urlsplit(target)
        if headers.get("upgrade", "").lower() == "websocket":
            await serve_socket(hub, reader, writer, headers, cookies, parse_qs(url.query))
            return
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        if url.path == LOGIN_PATH and method == "GET":
            writer.write(http_answer("200 OK", {"Set-Cookie": "csrftoken=fanout; Path=/"}, b"<form></form>"))
        elif url.path == LOGIN_PATH and method == "POST":
            user = parse_qs(body.decode()).get("username", [""])[0]
            writer.write(http_answer("302 Found", {"Location": "/", "Set-Cookie": f"sessionid={user}; Path=/"}))
        else:
            writer.write(http_answer("404 Not Found", {}))
        await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve_socket(
    hub: Hub,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    headers: dict[str, str],
    cookies: dict[str, str],
    query: dict[str, list[str]],
) -> None:
    user, session = cookies.get("sessionid", ""), query.get("session", [""])[0]
    if not user:
        writer.write(http_answer("403 Forbidden", {}))
        return
    accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + WS_GUID).digest()).decode()
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept}\r\n\r\n".encode()
    )
    hub.sessions[session][user].add(writer)
    try:
        while True:
            opcode, data = await read_frame(reader)
            if opcode == 0x8:
                writer.write(b"\x88\x00")
                return
            if opcode == 0x9:
                writer.write(b"\x8a" + bytes([len(data)]) + data)
                continue
            if opcode != 0x1:
                continue
            command = json.loads(data)
            kind = command.get("command")
            if kind not in ("broadcast", "user", "group"):
                continue
            target = command.get(kind, "everybody") if kind != "broadcast" else "everybody"
            chat = {"type": "chat", "kind": kind, "from": user, "target": target, "message": command.get("message")}
            out = frame(json.dumps(chat))
            for peer in hub.audience(session, kind, target):
                peer.write(out)
    finally:
        hub.sessions[session][user].discard(writer)


async def main(port: int, population: LoadPopulation) -> None:
    hub = Hub(population)
    server = await asyncio.start_server(lambda r, w: handle(hub, r, w), "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--load-users", type=int, required=True)
    parser.add_argument("--group-size", type=int, default=DEFAULT_GROUP_SIZE)
    args = parser.parse_args()
    asyncio.run(main(args.port, LoadPopulation(args.load_users, args.group_size)))
