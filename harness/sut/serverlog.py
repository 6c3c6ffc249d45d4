"""What a server logged, as incidents: each traceback, ``ERROR`` line and each
server's own "exception in the application" line, with its byte offset in the
log, so that the harness can say when it was written.

An incident's time is read from where it sits in the log: the harness records
the log's size when it asks the server to stop (later incidents are shutdown
errors) and while a check that provokes errors on purpose runs (its incidents
are that check's observation, never a finding against the mode; DECISIONS 4).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

TRACEBACK = "Traceback (most recent call last):"
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
# Each server's own wording for "the application raised", and plain ERROR lines:
# uvicorn "ERROR:    Exception in ASGI application", daphne and Channels' runserver
# "2026-... ERROR    Exception inside application: ...", Django "Internal Server
# Error: /path", uWSGI and logging's default format "ERROR:name:message".
ERROR_LINE = re.compile(
    r"^(?:\S+ \S+ |\[[^]]*\] )?ERROR\b|Exception inside application|Exception in ASGI application"
    r"|Internal Server Error: |^\S*Error: Exception in callback"
)
# The last line of a traceback: "module.SomeError: message" or a bare "SomeError".
EXCEPTION_HEAD = re.compile(r"^[A-Za-z_][\w.]*(?::\s|$)")
# An ERROR line's own prefix ("2026-12-02 00:02:11,280 ERROR    "), which a name must not keep.
LOG_PREFIX = re.compile(r"^(?:\S+ \S+ |\[[^]]*\] )?ERROR\b:?\s*")
# Twisted (daphne) logs an exception as "[Failure instance: Traceback: <class 'X'>: message".
TWISTED_FAILURE = re.compile(r"\[Failure instance: Traceback[^:]*: <class '(?P<type>[\w.]+)'>")
FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
HEADER_REACH = 2  # lines between an ERROR line and the traceback it introduces

PHASES = ("run", "shutdown", "provoked")
# Before the harness asks a server to stop, its log must have been quiet this long
# (at most SETTLE_LIMIT): a close the harness just made is logged a moment later.
SETTLE_QUIET, SETTLE_LIMIT = 0.3, 1.5


@dataclass(frozen=True)
class Incident:
    """One logged error: an ERROR line, a traceback, or an ERROR line with its traceback."""

    offset: int  # byte offset of its first line in the log
    exception: str  # the traceback's last line, else the ERROR line itself
    where: str  # "site-packages/pkg/mod.py:12 in func": the innermost frame, "" without a traceback

    @property
    def name(self) -> str:
        """The exception's type ("redis.exceptions.TimeoutError"), or the ERROR line's gist
        without its time and level: the same from run to run, so an expectation can name it."""
        head = self.exception.split(": ", 1)[0].strip()
        if EXCEPTION_HEAD.match(head) and " " not in head:
            return head
        message = LOG_PREFIX.sub("", self.exception, count=1)
        failure = TWISTED_FAILURE.search(message)
        return failure["type"] if failure else message[:120]


@dataclass
class LogFinding:
    """Every incident of one exception in one phase of one server run."""

    exception: str  # its type, the grouping key
    last_line: str  # the first occurrence's last line, in full
    count: int
    phase: str  # "run", "shutdown", "provoked"
    where: str = ""
    check: str = ""  # for "provoked": the check that provoked it

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _short_path(path: str) -> str:
    marker = "site-packages/"
    return path[path.index(marker) + len(marker) :] if marker in path else path


def incidents(data: bytes) -> list[Incident]:
    """Every incident of a log, in order."""
    found: list[Incident] = []
    offset = 0
    header: tuple[int, str, int] | None = None  # (offset, text, line index) of an ERROR line
    tb_start: int | None = None  # offset where the current traceback (or its header) began
    frame, last, in_tb = "", "", False
    lines = data.split(b"\n")

    def close() -> None:
        nonlocal tb_start, frame, last, in_tb, header
        if tb_start is not None:
            found.append(Incident(tb_start, last[:300], frame))
        tb_start, frame, last, in_tb = None, "", "", False

    for index, raw in enumerate(lines):
        line = raw.decode("utf-8", errors="replace").rstrip("\r")
        text = line.strip()
        if line.startswith(TRACEBACK) or (tb_start is not None and not in_tb and text.startswith(TRACEBACK)):
            if tb_start is None:
                near = header is not None and index - header[2] <= HEADER_REACH
                tb_start = header[0] if near and header is not None else offset
                header = None
            in_tb = True
        elif in_tb and (line[:1].isspace() or not text):
            match = FRAME.match(line)
            if match:
                frame = f"{_short_path(match['file'])}:{match['line']} in {match['func']}"
        elif in_tb and EXCEPTION_HEAD.match(line):
            last, in_tb = text, False  # a chained traceback may follow
        elif tb_start is not None and not in_tb and (not text or text.startswith(CHAINED)):
            pass
        else:
            close()
            if header is not None and index - header[2] > HEADER_REACH:
                found.append(Incident(header[0], header[1], ""))
                header = None
            if ERROR_LINE.search(line):
                if header is not None:
                    found.append(Incident(header[0], header[1], ""))
                header = (offset, text[:300], index)
        offset += len(raw) + 1
    close()
    if header is not None:
        found.append(Incident(header[0], header[1], ""))
    return sorted(found, key=lambda incident: incident.offset)


def phase_of(offset: int, stop_offset: int | None, provoked: Sequence[tuple[str, int, int]]) -> tuple[str, str]:
    """("run" | "shutdown" | "provoked", the provoking check) for an incident at ``offset``."""
    for check, start, end in provoked:
        if start <= offset < end:
            return "provoked", check
    if stop_offset is not None and offset >= stop_offset:
        return "shutdown", ""
    return "run", ""


def log_findings(
    data: bytes, stop_offset: int | None, provoked: Sequence[tuple[str, int, int]] = ()
) -> list[LogFinding]:
    """The incidents of a log grouped by exception type and phase, first seen first."""
    grouped: dict[tuple[str, str, str], LogFinding] = {}
    for incident in incidents(data):
        phase, check = phase_of(incident.offset, stop_offset, provoked)
        key = (incident.name, phase, check)
        if key in grouped:
            grouped[key].count += 1
        else:
            grouped[key] = LogFinding(incident.name, incident.exception, 1, phase, incident.where, check)
    return list(grouped.values())


def log_size(path: Path) -> int:
    """Bytes written to a log so far (the servers write unbuffered: PYTHONUNBUFFERED)."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def settle_log(path: Path, quiet: float = SETTLE_QUIET, limit: float = SETTLE_LIMIT) -> None:
    """Wait until nothing was written to the log for ``quiet`` seconds (at most ``limit``)."""
    deadline = time.monotonic() + limit
    size, since = log_size(path), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = log_size(path)
        if now != size:
            size, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def first_exception_after(path: Path, offset: int) -> str:
    """The first incident written at or after ``offset``: "exception (where)", or ""."""
    try:
        with open(path, "rb") as log:
            log.seek(offset)
            data = log.read()
    except OSError:
        return ""
    found = incidents(data)
    if not found:
        return ""
    first = found[0]
    return first.exception + (f" (at {first.where})" if first.where else "")
