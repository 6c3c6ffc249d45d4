"""Reading what a child process logged: the telling error line, the exception
lines of its tracebacks, the deprecation warnings it printed."""

from __future__ import annotations

import re

# The last line of a traceback: "module.SomeError: message".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Configured|Exit): .+")
# "path.py:12: RemovedInDjango110Warning: message" as printed by the warnings module.
WARNING_LINE = re.compile(r"(?P<where>\S+:\d+): (?P<category>\w*Warning): (?P<message>.+)$")


def last_error_line(output: str) -> str:
    """The exception line of a traceback (with its root cause when chained), or the last line."""
    errors = [line.strip() for line in output.splitlines() if EXCEPTION_LINE.match(line.strip())]
    if errors:
        last, first = errors[-1][:300], errors[0][:200]
        return last if first == last else f"{last} (caused by {first})"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def django_warnings(log: str) -> list[str]:
    """Each distinct warning the server printed: "Category: message"."""
    seen: dict[str, None] = {}
    for line in log.splitlines():
        match = WARNING_LINE.search(line.strip())
        if match:
            seen.setdefault(f"{match['category']}: {match['message'].strip()}", None)
    return list(seen)


def logged_exceptions(log: str) -> list[str]:
    """Each distinct exception line of the tracebacks in a server log."""
    seen: dict[str, None] = {}
    for line in log.splitlines():
        if EXCEPTION_LINE.match(line.strip()):
            seen.setdefault(line.strip()[:300], None)
    return list(seen)
