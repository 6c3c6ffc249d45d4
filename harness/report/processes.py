"""An env's section, for a run on several server processes per mode
(``harness run ENV --processes N``): which modes delivered across processes,
and which failed exactly the cells that cross them (the in-memory layer is
for one process only: "works in dev, fails in prod")."""

from __future__ import annotations

from typing import Any

from harness.report.rst import esc
from harness.run.placement import finding_line


def processes_lines(result: dict[str, Any]) -> list[str]:
    processes = int(result.get("processes") or 1)
    findings = result.get("cross_process") or {}
    if processes < 2:
        return []
    out = [
        f"Run on **{processes} server processes per mode**, each on its own port, admin, john and mary placed "
        "round robin (user i on process i mod N); dev servers ran as one process.",
        "",
    ]
    out += [f"- {esc(finding_line(mode, finding, processes))}" for mode, finding in findings.items()]
    return out + [""] if findings else out
