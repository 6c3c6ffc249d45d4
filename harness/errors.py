"""The harness's one error family.

Every error the harness raises on purpose is a ``HarnessError`` whose message is
one line meant for the user: what is wrong and, where it helps, how to fix it.
Every command catches the family and exits 2 with that line; anything else
that escapes is a bug in the harness and keeps its traceback.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A problem the harness can name in one line."""


class BadInput(HarnessError):
    """Input that cannot work: an env name, an option, a results or figures file."""


def whole_number(text: str | int, option: str, most: int) -> int:
    """A count option as typed (``--processes 2``): a whole number from 1 to ``most``,
    or one BadInput line that says so."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= most:
        raise BadInput(f"{option} must be a whole number from 1 to {most}, got {str(text)!r}")
    return count


class BadResults(BadInput):
    """A results or load figures file that cannot be read."""


class InterpreterMissing(HarnessError):
    """The Python under test is not on this machine: the env is not tested."""


class InstallError(HarnessError):
    """The SUT could not be installed; ``key_line`` says why, ``log`` has the rest."""

    def __init__(self, key_line: str, log: str) -> None:
        super().__init__(key_line)
        self.key_line = key_line
        self.log = log


class SetupError(HarnessError):
    """The chat project could not be prepared (migrate, loaddata, load users)."""


class RedisUnavailable(HarnessError):
    """No Redis could be found or started."""


class ClientError(HarnessError):
    """A scripted client could not log in, connect or send."""


class LoadError(HarnessError):
    """A load run produced no figures (its server did not start, Locust failed)."""


class ReportError(HarnessError):
    """A report could not be rendered (docutils found a problem in the generated RST)."""
