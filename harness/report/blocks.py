"""A page as a list of plain blocks (heading, paragraph, bullets, literal, table),
and two small renderers over them: reStructuredText, and HTML written directly.

The per-env detail pages are large (server logs, 30-cell tables); rendering them
without docutils keeps a full-matrix report fast, and the same blocks give the
RST beside each page.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from harness.report.rst import esc, heading, list_table, literal

RST_UNDERLINES = ("=", "-", "`", "'")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int  # 1 (page title) to 4


@dataclass(frozen=True)
class Para:
    text: str
    href: str = ""  # the whole paragraph links there


@dataclass(frozen=True)
class Bullets:
    items: list[str]


@dataclass(frozen=True)
class Literal:
    title: str  # shown above it; in HTML the summary of a folded <details>
    text: str
    folded: bool = True


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


Block = Heading | Para | Bullets | Literal | Table


def to_rst(blocks: list[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            out += heading(block.text, RST_UNDERLINES[block.level - 1], overline=block.level == 1)
        elif isinstance(block, Para):
            out += [f"`{esc(block.text)} <{block.href}>`__" if block.href else esc(block.text), ""]
        elif isinstance(block, Bullets):
            out += [f"- {esc(item)}" for item in block.items] + [""]
        elif isinstance(block, Literal):
            out += [esc(block.title) + ":", ""] + literal(block.text)
        else:
            out += list_table([esc(h) for h in block.header], [[esc(c) for c in row] for row in block.rows])
    return "\n".join(out).rstrip() + "\n"


def _mark_class(text: str) -> str:
    """A cell's class from its leading mark, so the stylesheet can colour it."""
    for mark, css in (("✓", "ok"), ("✗", "bad"), ("≈", "flaky"), ("⚠", "error"), ("─", "none")):
        if text.startswith(mark):
            return f' class="{css}"'
    return ""


def to_html(blocks: list[Block], title: str, stylesheet: str) -> str:
    body: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            level = block.level
            body.append(f'<h{level} id="{html.escape(_anchor(block.text))}">{html.escape(block.text)}</h{level}>')
        elif isinstance(block, Para):
            text = html.escape(block.text)
            body.append(f'<p><a href="{html.escape(block.href)}">{text}</a></p>' if block.href else f"<p>{text}</p>")
        elif isinstance(block, Bullets):
            body.append("<ul>" + "".join(f"<li><code>{html.escape(i)}</code></li>" for i in block.items) + "</ul>")
        elif isinstance(block, Literal):
            text = html.escape(block.text.rstrip()) or "(no output)"
            open_attr = "" if block.folded else " open"
            body.append(f"<details{open_attr}><summary>{html.escape(block.title)}</summary><pre>{text}</pre></details>")
        else:
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td{_mark_class(c)}>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            body.append(f'<table class="wide"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{stylesheet}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _anchor(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
