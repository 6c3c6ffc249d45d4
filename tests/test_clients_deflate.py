"""DeflateChatClient against a local websockets server: Chromium's offer goes out, what the
server accepted is kept, messages travel compressed, and a frame that does not inflate
ends the socket with the client's reason."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator

import pytest
from websockets.extensions.permessage_deflate import PerMessageDeflate, ServerPerMessageDeflateFactory
from websockets.frames import Frame
from websockets.sync.server import Server, ServerConnection, serve

from harness.clients_deflate import BROWSER_OFFER, DeflateChatClient


@pytest.fixture
def echo_server() -> Iterator[Callable[..., tuple[Server, list[str]]]]:
    """An echo server on 127.0.0.1; returns (server, offers it saw)."""
    servers: list[Server] = []

    def start(extensions: list | None = None) -> tuple[Server, list[str]]:
        offers: list[str] = []

        def echo(conn: ServerConnection) -> None:
            offers.append(conn.request.headers.get("Sec-WebSocket-Extensions", "") if conn.request else "")
            for message in conn:
                conn.send(message)

        server = serve(echo, "127.0.0.1", 0, extensions=extensions, compression=None)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server, offers

    yield start
    for server in servers:
        server.shutdown()


def _url(server: Server) -> str:
    return f"http://127.0.0.1:{server.socket.getsockname()[1]}"


def test_offers_what_chromium_offers_and_records_the_answer(echo_server) -> None:
    server, offers = echo_server([ServerPerMessageDeflateFactory()])
    client = DeflateChatClient(_url(server), "john")
    try:
        client.connect("/ws")
        client.send("hello " * 100)
        assert client.inbox.wait_for(lambda frames: bool(frames), 3)
    finally:
        client.close()
    assert offers == [BROWSER_OFFER]
    assert client.extensions.startswith("permessage-deflate")
    assert [f.text for f in client.inbox.snapshot()] == ["hello " * 100]


def test_a_server_that_declines_leaves_no_extension(echo_server) -> None:
    server, _ = echo_server(None)
    client = DeflateChatClient(_url(server), "john")
    try:
        client.connect("/ws")
        client.send("plain")
        assert client.inbox.wait_for(lambda frames: bool(frames), 3)
    finally:
        client.close()
    assert client.extensions == ""


class CorruptingDeflate(PerMessageDeflate):
    """The server's side: every compressed frame starts with a reserved deflate block type."""

    def encode(self, frame: Frame) -> Frame:
        encoded = super().encode(frame)
        if encoded.rsv1 and encoded.data:
            return dataclasses.replace(encoded, data=b"\xff" + bytes(encoded.data[1:]))
        return encoded


class CorruptingFactory(ServerPerMessageDeflateFactory):
    def process_request_params(self, params, accepted):
        response, extension = super().process_request_params(params, accepted)
        extension.__class__ = CorruptingDeflate
        return response, extension


def test_a_frame_that_does_not_inflate_ends_the_socket_with_the_reason(echo_server) -> None:
    server, _ = echo_server([CorruptingFactory()])
    client = DeflateChatClient(_url(server), "john")
    try:
        client.connect("/ws")
        client.send("hello")
        client.inbox.wait_for(lambda frames: False, 3)
    finally:
        client.close()
    assert client.inbox.snapshot() == []
    assert client.inbox.closed_reason == "connection lost: the client closed it with 1002 (decompression failed)"
