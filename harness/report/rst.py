"""reStructuredText helpers shared by every part of the report."""

from __future__ import annotations

from collections.abc import Iterable

YES, NO, UNKNOWN = "✓ Yes", "✗ No", "─ Not tested"


def esc(text: object) -> str:
    """Escape RST inline markup so that result text is shown as written."""
    out = str(text).replace("\\", "\\\\")
    for char in "*`_|[]<>":
        out = out.replace(char, "\\" + char)
    return " ".join(out.split())  # one line, no tabs or control whitespace


def names(users: Iterable[str]) -> str:
    """ "Admin, John and Mary", as the seed writes recipients."""
    items = [u.capitalize() for u in users]
    if not items:
        return "nobody"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def heading(text: str, char: str, overline: bool = False) -> list[str]:
    line = char * max(len(text), 4)
    return ([line] if overline else []) + [text, line, ""]


def list_table(header: list[str], rows: list[list[str]], widths: str = "auto") -> list[str]:
    out = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        first, *rest = row
        out.append(f"   * - {first}" if first else "   * -")
        out += [f"     - {cell}" if cell else "     -" for cell in rest]
    return out + [""]


def literal(text: str) -> list[str]:
    lines = [line.replace("\t", "    ") for line in text.rstrip().splitlines()]
    if not any(line.strip() for line in lines):
        return ["*(no output)*", ""]
    return ["::", ""] + [f"    {line}" for line in lines] + [""]


def bold(verdict: str) -> str:
    return f"**{verdict}**"
