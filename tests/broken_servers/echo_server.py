"""A minimal asyncio ``websockets`` echo server, correct or deliberately broken,
for tests/test_e2e_conformance.py:

    python echo_server.py PORT correct       # echoes every message exactly
    python echo_server.py PORT drop-empty    # never echoes an empty message
"""

import asyncio
import sys

from websockets.asyncio.server import serve


async def main(port: int, behaviour: str) -> None:
    async def echo(ws) -> None:  # type: ignore[no-untyped-def]
        async for message in ws:
            if behaviour == "drop-empty" and len(message) == 0:
                continue  # the defect: an empty text or binary message is swallowed
            await ws.send(message)

    async with serve(echo, "127.0.0.1", port, max_size=None, compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
