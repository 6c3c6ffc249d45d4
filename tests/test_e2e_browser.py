"""The real-browser check and the compressed path (``--deflate``), end to end against
deliberately broken Channels servers (tests/broken_servers/README.md): each check
fails exactly where its server is broken, and only there.

These runs need Debian's chromium and chromium-driver (README set-up; .ci/run
installs them): without them the browser check is "not tested", never a pass, and
the tests below that expect a browser verdict fail, saying so.
"""

from __future__ import annotations

import pytest

from tests.conftest import BROKEN_SERVERS, CHANNELS_E2E_ENV
from tests.test_e2e_security import DAPHNE_KNOWN, UVICORN_KNOWN

pytestmark = pytest.mark.e2e

BROWSER = "real browser"
NO_SOCKET = "no socket: the chat page opened no WebSocket"


def _broken(run_harness, settings: str, mode: str, *args: str, **extra_env: str) -> tuple[int, dict, str]:
    broken = ("--pythonpath", str(BROKEN_SERVERS), "--settings", settings)
    # No re-run: each broken server fails the same way every time, and the runs stay short.
    return run_harness(CHANNELS_E2E_ENV, "--server", mode, "--reruns", "0", *broken, *args, extra_env=extra_env)


def _failed(result: dict, known: set[str]) -> dict[str, str]:
    """The failed checks but the server's known behaviours (tests/test_e2e_security.py)."""
    return {c["name"]: c["detail"] for c in result["checks"] if not c["ok"] and c["name"] not in known}


def _browser_fact(result: dict) -> dict:
    [server] = result["servers"]
    return server["browser"]


def test_page_script_syntax_error_fails_the_browser_check_quoting_the_console(run_harness) -> None:
    code, result, output = _broken(run_harness, "channels_page_syntax_error_settings", "daphne+inmemory")
    assert (code, result["status"]) == (1, "fail"), output
    assert all(c["ok"] for c in result["deliveries"]) and len(result["deliveries"]) == 30, output
    failed = _failed(result, DAPHNE_KNOWN)
    assert list(failed) == [BROWSER], output
    console, socket = failed[BROWSER].split("; ")
    assert console.startswith("console error: ") and "Uncaught SyntaxError: Unexpected end of input" in console
    assert socket == NO_SOCKET
    fact = _browser_fact(result)
    assert len(fact["console_errors"]) == 1 and "SyntaxError" in fact["console_errors"][0]
    assert fact["socket_url"] == "" and fact["extensions"] == ""


def test_page_that_never_opens_its_socket_fails_with_no_socket(run_harness) -> None:
    code, result, output = _broken(run_harness, "channels_page_no_socket_settings", "daphne+inmemory")
    assert (code, result["status"]) == (1, "fail"), output
    assert all(c["ok"] for c in result["deliveries"]) and len(result["deliveries"]) == 30, output
    assert _failed(result, DAPHNE_KNOWN) == {BROWSER: NO_SOCKET}, output
    assert _browser_fact(result)["console_errors"] == []


def test_a_page_that_hangs_is_the_browser_checks_finding_not_a_broken_run(run_harness) -> None:
    """A server that never answers the browser's page (as uvicorn 0.16 under Channels 2's
    AsgiHandler deadlocks in the full sweep): the driver's page-load bound ends it."""
    code, result, output = _broken(run_harness, "channels_page_hangs_settings", "daphne+inmemory")
    assert (code, result["status"]) == (1, "fail"), output
    assert all(c["ok"] for c in result["deliveries"]) and len(result["deliveries"]) == 30, output
    assert _failed(result, DAPHNE_KNOWN) == {
        BROWSER: "a page of the login did not load within 10 s (the server hung a request)"
    }, output
    [mode] = result["modes"]
    assert [i["item"] for i in mode["items"] if i["outcome"] != "known"] == ["check:real browser"]  # no "scenarios"


def test_corrupt_compressed_frames_fail_the_compressed_path_only(run_harness) -> None:
    """uvicorn accepts permessage-deflate; this server corrupts every compressed frame."""
    code, plain, output = _broken(run_harness, "channels_corrupt_deflate_settings", "uvicorn+inmemory")
    # The plain clients offer no compression: every cell passes. Chromium offers it, and fails.
    assert code == 1 and all(c["ok"] for c in plain["deliveries"]) and len(plain["deliveries"]) == 30, output
    failed = _failed(plain, UVICORN_KNOWN)
    assert list(failed) == [BROWSER], output
    assert failed[BROWSER].startswith("console error: ") and "Invalid frame header" in failed[BROWSER]
    assert "the page's socket closed 1006" in failed[BROWSER]
    assert _browser_fact(plain)["extensions"] == "permessage-deflate"
    assert "deflate" not in plain["servers"][0] and plain["deflate"] is False

    settings, mode = "channels_corrupt_deflate_settings", "uvicorn+inmemory"
    code, compressed, output = _broken(run_harness, settings, mode, "--deflate")
    assert (code, compressed["status"], compressed["deflate"]) == (1, "fail", True), output
    assert len(compressed["deliveries"]) == 30 and not any(c["ok"] for c in compressed["deliveries"]), output
    assert all("decompression failed" in c["detail"] for c in compressed["deliveries"]), output
    assert {"compressed broadcast", BROWSER} <= set(_failed(compressed, UVICORN_KNOWN)), output
    accepted = compressed["servers"][0]["deflate"]["accepted"]
    assert accepted == {"admin": "permessage-deflate", "john": "permessage-deflate", "mary": "permessage-deflate"}


def test_no_browser_is_not_tested_never_a_pass(run_harness) -> None:
    code, result, output = run_harness(
        CHANNELS_E2E_ENV, "--server", "daphne+inmemory", extra_env={"HARNESS_CHROMIUM": "/nonexistent/chromium"}
    )
    assert (code, result["status"], result["as_expected"]) == (0, "known", True), output  # daphne's known ones
    assert BROWSER not in {c["name"] for c in result["checks"]}
    hint = "no browser: no chromium found (apt-get install chromium chromium-driver)"
    assert _browser_fact(result) == {"not_tested": hint}
