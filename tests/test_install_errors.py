"""The key line of a failed install is the resolver's or compiler's message."""

from __future__ import annotations

from harness.sutenv import key_error_line


def test_uv_resolver_message() -> None:
    output = "Using Python 3.12\n  × No solution found when resolving dependencies:\n  ╰─▶ Because x...\n"
    assert key_error_line(output.replace("  × ", "")).startswith("No solution found")


def test_pip_missing_distribution() -> None:
    output = "Collecting foo\nERROR: Could not find a version that satisfies the requirement foo==9\n"
    assert key_error_line(output).startswith("ERROR: Could not find a version")


def test_compile_error() -> None:
    output = (
        "building 'x' extension\ngcc -c x.c\n"
        "x.c:1:10: fatal error: Python.h: No such file\nerror: command 'gcc' failed\n"
    )
    assert "error" in key_error_line(output)
