"""Broken on purpose: the server accepts permessage-deflate (uvicorn's websockets
implementation does) and corrupts every compressed frame it sends: the first byte
of its deflate data becomes 0xff, a reserved block type that no client can inflate.
Uncompressed sockets (clients that offer no compression) are untouched, so the
plain run passes and the compressed one (harness run --deflate) fails.

The patch is made when Django loads these settings, inside the server's process;
only uvicorn modes use websockets' permessage-deflate.
"""
import dataclasses

from websockets.extensions.permessage_deflate import PerMessageDeflate

from chatserver.settings import *  # noqa: F401,F403

_encode = PerMessageDeflate.encode


def _corrupt(self, frame):
    encoded = _encode(self, frame)
    if encoded.rsv1 and encoded.data:  # a compressed data frame
        return dataclasses.replace(encoded, data=b"\xff" + bytes(encoded.data[1:]))
    return encoded


PerMessageDeflate.encode = _corrupt
