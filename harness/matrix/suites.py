"""Suites: which checks a run adds to the default ones, as a flag or an env-name suffix.

``harness run ENV --deep`` and the env ``ENV-deep`` are the same run: the suffix
exists because a tox label selects envs and cannot pass flags.  A suffixed env
shares its SUT venv and work dir with ``ENV``, and has its own results file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    name: str
    deep: bool = False  # the heavy checks (scenario marker ``deep``)
    every_mode: bool = False  # per-server checks in every server × layer mode, not the first of each
    deflate: bool = False  # scripted clients offer permessage-deflate as browsers do (harness/clients_deflate.py)
    summary: str = ""


SUITES: dict[str, Suite] = {
    "deep": Suite("deep", deep=True, summary="the heavy checks too (harness run --deep)"),
    "browser": Suite(
        "browser", every_mode=True, summary="per-server checks in every server × layer mode (--every-mode)"
    ),
    "deflate": Suite(
        "deflate",
        deflate=True,
        summary="the scripted clients offer permessage-deflate as browsers do: the compressed path (--deflate)",
    ),
}


def split_suite(name: str) -> tuple[str, str]:
    """("py311-django42-channels4", "deep") for "py311-django42-channels4-deep"; (name, "") without a suite."""
    base, _, last = name.rpartition("-")
    return (base, last) if base and last in SUITES else (name, "")
