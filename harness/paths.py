"""Where the harness's own files live: the checkout, its work and report folders."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHATSERVERS = ROOT / "chatservers"
FIXTURES = ROOT / "fixtures"
SCENARIOS = ROOT / "scenarios"
REPORTS = ROOT / "reports"
RESULTS = REPORTS / "results"
LOAD_FIGURES = REPORTS / "load"


def work_root() -> Path:
    """Where SUT venvs, databases and logs go: ``$HARNESS_WORK_ROOT`` or ``.harness/``."""
    return Path(os.environ.get("HARNESS_WORK_ROOT", ROOT / ".harness"))
