"""The checks that do not depend on the layer (scenario marker ``per_server``): run on
the first mode of each server, in every mode with --every-mode, and not at all in a
row that leaves them to its column's (harness/matrix/depth.py).  Their names are
defined here once: the scenarios record them, a run that skipped them knows them."""

from __future__ import annotations

from harness.run import badinput

REAL_BROWSER = "real browser"
MESSAGE_SIZE = "message size limit"
PLAIN_GET = "plain GET to a socket URL"
FOREIGN_ORIGIN = "foreign Origin refused"


def per_server_items() -> tuple[str, ...]:
    """The items of every per-server check, both stacks' bad-frame probes among them."""
    bad_frames = badinput.probes(badinput.EchoPath("", True), str)
    return tuple(f"check:{name}" for name in (REAL_BROWSER, MESSAGE_SIZE, PLAIN_GET, FOREIGN_ORIGIN, *bad_frames))
