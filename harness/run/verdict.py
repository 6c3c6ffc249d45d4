"""The verdict of a server mode and of an env, computed once by the runner and
stored in the results; the report and the command line only read it."""

from __future__ import annotations

from typing import Any


def server_verdict(
    server: dict[str, Any], cells: list[dict[str, Any]], errors: list[str], expected_cells: int
) -> str | None:
    """None when the server mode passed, else the reason it did not."""
    reason = _first_problem(server, cells, errors, expected_cells)
    if reason and server["started"] and server["exceptions"]:
        reason += f" (server logged {server['exceptions'][0]})"
    return reason


def _first_problem(
    server: dict[str, Any], cells: list[dict[str, Any]], errors: list[str], expected_cells: int
) -> str | None:
    if not server["started"]:
        return f"{server['name']}: web server does not work: {server['error']}"
    if errors:
        return f"{server['name']}: scenarios broke: {errors[0]}"
    bad = [c for c in cells if not c["ok"]]
    if len(cells) != expected_cells:
        return f"{server['name']}: {len(cells)} of {expected_cells} delivery cells were observed"
    if bad:
        first = bad[0]
        return (
            f"{server['name']}: {len(bad)}/{len(cells)} delivery cells failed, first "
            f"{first['kind']} {first['sender']}->{first['target']}: {first['detail']}"
        )
    return None


def env_verdict(result: dict[str, Any], server_reasons: list[str]) -> tuple[str, str]:
    """(status, reason) of an env from its servers' reasons and its checks."""
    reasons = list(server_reasons)
    for check in result["checks"]:
        if not check["ok"]:
            reasons.append(f"{check['server']}: check {check['name']} failed: {check['detail']}")
    if any(entry["harness_error"] for entry in result["servers"]):
        return "error", "; ".join(reasons)  # no verdict on the stack: the harness failed itself
    return ("fail", "; ".join(reasons)) if reasons else ("pass", "")


# The exit code of ``harness run`` for an env's status (the worst one wins).
EXIT_CODE = {"pass": 0, "not-tested": 0, "fail": 1, "error": 2}
