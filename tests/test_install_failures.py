"""Install failures are ✗ rows with the key line, never crashes: a resolver
conflict (a real one, resolved against PyPI) and a hung step killed at its timeout."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest

from harness.matrix.envs import parse_env_name
from harness.results.files import load_all
from harness.run.expectations import load_expectations
from harness.run.runner import RunOptions, run_env
from harness.sut import procs
from harness.sut import venv as sutenv
from harness.sut.interpreters import find_interpreter


def _options(tmp_path: Path) -> RunOptions:
    return RunOptions(results_dir=tmp_path / "results", work_root=tmp_path / "work")


def _needs(version: str) -> None:
    if find_interpreter(version) is None:
        pytest.skip(f"python{version} not found")


def test_impossible_pin_is_a_failed_row_with_the_resolvers_message(tmp_path: Path) -> None:
    # Channels 4.3 needs Django >= 4.2: pinning Django 1.8 beside it cannot resolve.
    spec = parse_env_name("py312-django18-channels4")
    _needs(spec.python_version)
    result = run_env(spec, _options(tmp_path))
    assert result["status"] == "fail"
    assert result["reason"].startswith("install failed: Because channels")  # the resolver's explanation
    assert "django>=4.2" in result["reason"]
    assert [r["env"] for r in load_all(tmp_path / "results")] == [spec.name]
    assert (result["as_expected"], result["modes"], result["setup"]["items"][0]["item"]) == (False, [], "install")


def test_a_known_install_failure_selects_the_release_under_test(tmp_path: Path) -> None:
    """Nothing is installed, so the entry's stack range is matched against the release the env asks for."""
    spec = parse_env_name("py312-django18-channels4")
    _needs(spec.python_version)
    (tmp_path / "e.toml").write_text(
        '[[expect]]\nid = "channels43-needs-django42"\noutcome = "fail"\n'
        'cause = "channels 4.3 requires Django>=4.2"\nupstream = ["https://pypi.org/project/channels/4.3.2/"]\n'
        '[expect.when]\nchannels = ">=4.3"\ndjango = "<4.2"\nitems = ["install"]\n'
    )
    options = replace(_options(tmp_path), expectations=tuple(load_expectations(tmp_path / "e.toml")))
    result = run_env(spec, options)
    assert (result["status"], result["as_expected"], result["unexpected"]) == ("known", True, [])
    assert result["setup"]["items"][0]["expectation"] == "channels43-needs-django42"


def test_hung_install_step_is_killed_at_its_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_env_name("py311-django42-ws4redis06")
    _needs(spec.python_version)
    hanging = tmp_path / "uv"
    hanging.write_text("#!/bin/sh\nsleep 120\n")
    hanging.chmod(0o755)
    monkeypatch.setattr(sutenv, "_uv", lambda: str(hanging))
    monkeypatch.setattr(sutenv, "CREATE_TIMEOUT", 1.0)
    started = time.monotonic()
    result = run_env(spec, _options(tmp_path))
    assert time.monotonic() - started < 20
    assert (result["status"], result["reason"]) == ("fail", "install failed: create step timed out after 1 s")
    assert not procs._LIVE  # the sleeping step and its process group are gone


def test_key_line_of_uvs_explanation_wrapped_at_columns() -> None:
    output = (
        "error: No solution found when resolving dependencies\n"
        "  cause: Because channels>=4.3.2 depends on django>=4.2 and you require\n"
        "         django>=1.8,<1.9, we can conclude that your requirements and\n"
        "         channels>=4.3.2 are incompatible.\n"
        "         And because you require channels==4.3.2, we can conclude that your\n"
        "         requirements are unsatisfiable.\n"
    )
    assert sutenv.key_error_line(output) == (
        "Because channels>=4.3.2 depends on django>=4.2 and you require django>=1.8,<1.9, "
        "we can conclude that your requirements and channels>=4.3.2 are incompatible."
    )
