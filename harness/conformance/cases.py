"""Which Autobahn|Testsuite cases run (``--cases``), and the names of its chapters."""

from __future__ import annotations

import re

from harness.errors import BadInput

# Autobahn|Testsuite's chapters (its own titles; there is no chapter 8 or 11).
CHAPTERS: dict[str, str] = {
    "1": "Framing",
    "2": "Pings/Pongs",
    "3": "Reserved bits",
    "4": "Opcodes",
    "5": "Fragmentation",
    "6": "UTF-8 handling",
    "7": "Close handling",
    "9": "Limits/performance",
    "10": "Miscellaneous",
    "12": "WebSocket compression (different payloads)",
    "13": "WebSocket compression (different parameters)",
}
DEFAULT_CASES = "1-10"  # everything but compression (12, 13: about 12 of the full suite's 13 minutes)
BEHAVIORS = ("OK", "NON-STRICT", "FAILED", "INFORMATIONAL", "UNIMPLEMENTED")
_RANGE = re.compile(r"(\d+)-(\d+)")
_PATTERN = re.compile(r"\d+(\.(\d+|\*))*")


def case_patterns(selection: str) -> list[str]:
    """wstest's case patterns for ``selection``: "all", or comma-separated chapter
    ranges ("1-10", "1-7,10") and cases or wildcards ("1.1.*,2.3"); ``BadInput`` otherwise."""
    text = selection.strip()
    if text == "all":
        return ["*"]
    patterns: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        found = _RANGE.fullmatch(part)
        if found:
            first, last = int(found[1]), int(found[2])
            chapters = [c for c in CHAPTERS if first <= int(c) <= last]
            if not chapters:
                raise BadInput(f"--cases {selection}: no Autobahn chapter in {part} (chapters {', '.join(CHAPTERS)})")
            patterns += [f"{chapter}.*" for chapter in chapters]
        elif _PATTERN.fullmatch(part) and part.split(".")[0] in CHAPTERS:
            patterns.append(part if "." in part else f"{part}.*")
        else:
            raise BadInput(f"--cases {selection}: expected all, chapter ranges (1-10, 1-7,10) or cases (1.1.*,2.3)")
    return patterns


def chapter_of(case: str) -> str:
    return case.split(".")[0]


def case_sort_key(case: str) -> tuple[int, ...]:
    return tuple(int(part) for part in case.split(".") if part.isdigit())
