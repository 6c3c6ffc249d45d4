"""Bad frames and commands on a fresh socket, and a plain GET to a socket URL.

Each probe returns (behaved, what was seen); the scenario adds the health probe
(robustness.health) and records one check per probe.  The protocol-level probes
(binary, invalid UTF-8, ping, fragmentation) are done here with websocket-client
rather than read from the conformance suite (DECISIONS 9 allows either).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import websocket

from harness.run.probes import (
    PROBE_TIMEOUT,
    EchoPath,
    HandshakeRefused,
    Heard,
    close_quietly,
    listen,
    open_socket,
    plain_get,
)

ANSWER_WAIT = 1.0  # seconds a bad frame's answer may take
CLOSE_WAIT = 0.5  # seconds for a close that a server sends at once, or for a reply nothing requires
AFTER_WAIT = 0.2  # seconds for a duplicate after the first copy
INVALID_UTF8 = b'{"command": "broadcast", "message": "\xff\xfe bad"}'
BAD_JSON = '{"command": "broadcast", "message": '
UNKNOWN_COMMAND = json.dumps({"command": "explode"})
WRONG_TYPES = (json.dumps(["broadcast", "x"]), json.dumps({"command": "user", "user": ["mary"], "message": "x"}))
BAD_COMMAND = b'{"error": "BAD_COMMAND"}'
INVALID_PAYLOAD = 1007

Probe = Callable[[websocket.WebSocket, tuple[str, ...]], tuple[bool, Heard, str]]  # (socket, frames to ignore)


def _answered_bad_command(heard: Heard) -> bool:
    return any(json.loads(frame or b"null") == {"error": "BAD_COMMAND"} for frame in heard.frames if frame[:1] == b"{")


def _one(text: str) -> Probe:
    def probe(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
        ws.send(text)
        heard = listen(ws, ANSWER_WAIT, until=lambda h: bool(h.frames), ignore=ignore)
        return _answered_bad_command(heard), heard, "answered BAD_COMMAND"

    return probe


def _each(texts: tuple[str, ...]) -> Probe:
    def probe(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
        for text in texts:
            ws.send(text)
        heard = listen(ws, ANSWER_WAIT, until=lambda h: len(h.frames) >= len(texts), ignore=ignore)
        answers = sum(json.loads(f) == {"error": "BAD_COMMAND"} for f in heard.frames if f[:1] == b"{")
        return answers == len(texts), heard, f"answered BAD_COMMAND to each of {len(texts)}"

    return probe


def _invalid_json(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
    ws.send(BAD_JSON)
    heard = listen(ws, CLOSE_WAIT, until=lambda h: bool(h.frames), ignore=ignore)
    # An error answer or a close are both fine; health decides the rest.
    return True, heard, "no requirement beyond health"


def _binary(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
    ws.send_binary(b"\x00\x01binary\xff")
    heard = listen(ws, CLOSE_WAIT, until=lambda h: bool(h.frames), ignore=ignore)
    return True, heard, "no requirement beyond health"


def _invalid_utf8(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
    ws.send(INVALID_UTF8, opcode=websocket.ABNF.OPCODE_TEXT)
    heard = listen(ws, CLOSE_WAIT, until=lambda h: False, ignore=ignore)
    return heard.close_code == INVALID_PAYLOAD, heard, f"a {INVALID_PAYLOAD} close"


def _ping(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
    ws.ping(b"harness-ping")
    heard = listen(ws, ANSWER_WAIT, until=lambda h: h.pongs > 0, ignore=ignore)
    return heard.pongs > 0, heard, "a pong"


def fragmented(echo: EchoPath, decode: Callable[[str], str]) -> Probe:
    """A text message in three frames must come back once, reassembled."""

    def probe(ws: websocket.WebSocket, ignore: tuple[str, ...]) -> tuple[bool, Heard, str]:
        body = f"fragmented-{time.monotonic()}"
        data = echo.text(body).encode()
        thirds = [data[: len(data) // 3], data[len(data) // 3 : 2 * len(data) // 3], data[2 * len(data) // 3 :]]
        ws.send_frame(websocket.ABNF.create_frame(thirds[0], websocket.ABNF.OPCODE_TEXT, fin=0))
        ws.send_frame(websocket.ABNF.create_frame(thirds[1], websocket.ABNF.OPCODE_CONT, fin=0))
        ws.send_frame(websocket.ABNF.create_frame(thirds[2], websocket.ABNF.OPCODE_CONT, fin=1))
        marker = f"after-{body}"
        ws.send(echo.text(marker))  # frames come back in order: the marker closes the count

        def texts(heard: Heard) -> list[str]:
            return [decode(f.decode("utf-8", "replace")) for f in heard.frames]

        # A reply is required here: wait as for any probe (it ends at the first echo), not
        # the short wait for an optional one; a busy dev server echoes through Redis late.
        heard = listen(ws, PROBE_TIMEOUT, until=lambda h: body in texts(h) or marker in texts(h), ignore=ignore)
        if not heard.closed:  # a duplicate would come before the marker; ws4redis echoes no second frame
            more = listen(ws, AFTER_WAIT, until=lambda h: marker in texts(h), ignore=ignore)
            heard.frames += more.frames
            heard.closed = more.closed
        got = texts(heard)
        copies = got.count(body)
        others = [text[:20] for text in got if text not in (body, marker)]
        heard.frames = [f"{copies} reassembled copies{f', and {others[:3]}' if others else ''}".encode()]
        return copies == 1 and not others, heard, "exactly one reassembled copy, nothing else"

    return probe


def probes(echo: EchoPath, decode: Callable[[str], str]) -> dict[str, Probe]:
    """The bad-frame probes for a stack: JSON commands only where the server reads them."""
    common: dict[str, Probe] = {
        "binary frame": _binary,
        "invalid UTF-8 closes 1007": _invalid_utf8,
        "ping answered": _ping,
        "fragmented message reassembled": fragmented(echo, decode),
    }
    if not echo.json_commands:
        return common
    return {
        "invalid JSON": _invalid_json,
        "unknown command": _one(UNKNOWN_COMMAND),
        "wrong JSON types": _each(WRONG_TYPES),
        **common,
    }


def run_probe(base_url: str, cookie: str, echo: EchoPath, probe: Probe, ignore: tuple[str, ...]) -> tuple[bool, str]:
    """(behaved, what happened) for one probe on a fresh socket."""
    ws = None
    try:
        ws = open_socket(base_url, echo.path, cookie)
        behaved, heard, wanted = probe(ws, ignore)
    except HandshakeRefused as exc:
        return False, f"probe socket refused: {exc}"
    except (websocket.WebSocketException, OSError) as exc:
        return False, f"probe socket failed: {type(exc).__name__}: {exc}"
    finally:
        close_quietly(ws)
    seen = heard.summary()
    return behaved, seen if behaved else f"{seen} (expected {wanted})"


def plain_get_check(base_url: str, cookie: str, paths: list[str]) -> tuple[bool, str, str]:
    """DECISIONS 9b: a GET without Upgrade to each socket URL answers 4xx."""
    answers = {path: plain_get(base_url, path, cookie) for path in paths}
    ok = all(answer.isdigit() and 400 <= int(answer) < 500 for answer in answers.values())
    detail = "; ".join(f"GET {path}: {answer}" for path, answer in answers.items())
    return ok, detail, ", ".join(sorted(set(answers.values())))
