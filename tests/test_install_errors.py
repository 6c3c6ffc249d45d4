"""The key line of a failed install is the resolver's or compiler's message."""

from __future__ import annotations

from harness.sut.venv import key_error_line


def test_uv_resolver_message_is_its_explanation() -> None:
    output = (
        "Using Python 3.11.7 environment at: venv\n"
        "error: No solution found when resolving dependencies\n"
        "  cause: Because channels>=4.3.2 depends on django>=4.2 and you require django>=4.1,<4.2, "
        "we can conclude that your requirements and channels>=4.3.2 are incompatible.\n"
    )
    assert key_error_line(output) == (
        "Because channels>=4.3.2 depends on django>=4.2 and you require django>=4.1,<4.2, "
        "we can conclude that your requirements and channels>=4.3.2 are incompatible."
    )


def test_uv_headline_when_there_is_no_explanation() -> None:
    # uv prints its headline behind a "×" mark: the key line is the headline itself.
    output = "Using Python 3.12\n  × No solution found when resolving dependencies:\n"
    assert key_error_line(output) == "No solution found when resolving dependencies:"


def test_pip_missing_distribution() -> None:
    output = "Collecting foo\nERROR: Could not find a version that satisfies the requirement foo==9\n"
    assert key_error_line(output) == "ERROR: Could not find a version that satisfies the requirement foo==9"


def test_compile_error() -> None:
    output = (
        "building 'x' extension\ngcc -c x.c\n"
        "x.c:1:10: fatal error: Python.h: No such file\nerror: command 'gcc' failed\n"
    )
    assert key_error_line(output) == "x.c:1:10: fatal error: Python.h: No such file"
