"""The stack axis: release lines and picks, the lock, ``--with``, ``-latest``, ``--redis``."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from harness.cli.lock import pinned_envs
from harness.cli.main import main
from harness.errors import BadInput
from harness.matrix.envs import parse_env_name
from harness.matrix.labels import LABELS
from harness.matrix.lock import locked_row
from harness.matrix.overrides import parse_override, parse_overrides
from harness.matrix.releases import STACK_RELEASES
from harness.paths import ROOT
from harness.report.axis import beside_pinned, pinned_env
from harness.run.expectations import EnvFacts, Expectation
from harness.sut.lockfile import moved
from harness.sut.redis_server import check_redis_choice
from tests.conftest import CHANNELS_E2E_ENV, RUN_TIMEOUT


@pytest.mark.parametrize(
    ("python", "django", "version", "how"),
    [
        ((3, 11), (4, 1), "4.0.0", "admitted"),  # Django 4.1 declares 3.11; Channels 4.0.0 stops at 3.10
        ((3, 10), (4, 1), "4.0.0", "declared"),
        ((3, 9), (5, 0), "4.2.2", "declared"),  # 4.3 dropped Django 5.0 from its classifiers
        ((3, 8), (4, 2), "4.2.2", "declared"),  # 4.3 requires Python 3.9
        ((3, 13), (6, 0), "4.3.2", "declared"),
        ((3, 12), (3, 1), "4.3.2", "beyond"),  # no Channels 4 admits Django 3.1
    ],
)
def test_a_row_tests_the_newest_release_of_its_line_declaring_it(python, django, version, how) -> None:
    pick = STACK_RELEASES["channels4"].pick(python, django)
    assert (pick.release.version, pick.how) == (version, how)


def test_the_django41_row_installs_channels_400_exactly() -> None:
    spec = parse_env_name("py311-django41-channels4")
    assert spec.stack_version == "4.0.0"
    requirements = spec.requirements()
    assert "channels==4.0.0" in requirements and "django==4.1.13" in [r.lower() for r in requirements]


def test_minor_lines_have_their_own_keys_and_wide_runs_each_line() -> None:
    assert {"channels40", "channels41", "channels42", "channels43", "channels20", "channels24"} <= set(STACK_RELEASES)
    assert parse_env_name("py39-django32-channels40").stack_version == "4.0.0"
    lines = {parse_env_name(name).release_key for name in LABELS["wide"]}
    assert lines == {k for k, r in STACK_RELEASES.items() if len(r.releases) == 1}


def test_every_pinned_row_is_locked_and_exact() -> None:
    for env in pinned_envs():
        spec = parse_env_name(env)
        row = locked_row(spec.row)
        assert row is not None, f"{spec.row} is not in matrix.lock.json: run `harness lock {spec.row}`"
        assert row.release == spec.stack_version
        if row.resolved_by.startswith(("uv pip compile", "frozen")):
            assert row.exact, row.requirements
        for requirement in spec.requirements():
            assert "==" in requirement or not row.resolved_by.startswith(("uv", "frozen")), (env, requirement)


def test_latest_envs_leave_the_stack_and_companions_unpinned() -> None:
    spec = parse_env_name("py311-django42-channels4-latest")
    assert spec.latest and spec.sut_name == "py311-django42-channels4-latest"
    assert spec.requirements() == [
        "Django>=4.2,<4.3", "channels>=4,<5", "channels-redis", "daphne", "uvicorn", "websockets"
    ]  # fmt: skip
    assert parse_env_name("py39-django32-channels40-latest").requirements()[1] == "channels>=4.0,<4.1"
    upcoming = replace(parse_env_name("py313-django61-channels4-latest"), django_pre=True)
    assert upcoming.requirements()[0] == "Django>=6.1a0,<6.2"


def test_an_override_names_the_env_and_replaces_the_package(tmp_path: Path) -> None:
    spec = parse_env_name("py311-django42-channels4-deep").with_overrides(parse_overrides(["channels_redis==4.0.0"]))
    assert spec.name == "py311-django42-channels4-deep@channels-redis==4.0.0"
    assert spec.sut_name == "py311-django42-channels4@channels-redis==4.0.0"
    requirements = spec.requirements()
    assert requirements[-1] == "channels-redis==4.0.0"
    assert not [r for r in requirements[:-1] if r.startswith("channels-redis")]
    assert "channels==4.3.2" in requirements and not [r for r in requirements if r.startswith("twisted")]
    assert pinned_env(spec.name) == "py311-django42-channels4-deep"


def test_a_checkout_and_a_wheel_are_named_by_their_contents(tmp_path: Path) -> None:
    checkout = tmp_path / "channels"
    checkout.mkdir()
    (checkout / "pyproject.toml").write_text("[project]\nname = 'channels'\n")
    first = parse_override(f"channels={checkout}")
    assert first.kind == "path" and first.key.startswith("=src-") and first.requirement.endswith(str(checkout))
    (checkout / "module.py").write_text("x = 1\n")
    assert parse_override(f"channels={checkout}").key != first.key
    wheel = tmp_path / "daphne-9.9-py3-none-any.whl"
    wheel.write_bytes(b"not really a zip")
    assert parse_override(f"daphne={wheel}").key.startswith("=whl-")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("channels", "expected PKG=SPEC"),
        ("=4.0", "expected PKG=SPEC"),
        ("chan nels=4.0", "not a package name"),
        ("channels=../no/such/folder", "no such file or folder"),
        ("channels=latest!", "neither a version nor an existing path"),
    ],
)
def test_a_bad_spec_is_one_line(text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message) as caught:
        parse_override(text)
    assert "\n" not in str(caught.value)


def test_a_package_given_twice_and_a_wheel_of_another_package_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="more than once"):
        parse_overrides(["daphne==4.1.0", "Daphne==4.2.0"])
    wheel = tmp_path / "daphne-9.9-py3-none-any.whl"
    wheel.write_bytes(b"")
    with pytest.raises(BadInput, match="a wheel of daphne, not channels"):
        parse_override(f"channels={wheel}")


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "py311-django42-channels4", "--with", "channels-redis=../nowhere/"],
        ["run", "py311-django42-channels4", "--redis", "memcached"],
        ["run", "py311-django42-channels4", "--django-pre"],
        ["load", "py311-django42-channels4", "--with", "nope"],
    ],
)
def test_bad_options_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"harness {argv[0]}: ")


def test_redis_choices() -> None:
    assert check_redis_choice("embedded") == "embedded" and check_redis_choice("redis://127.0.0.1:6390/1")
    with pytest.raises(BadInput):
        check_redis_choice("6.2")


def test_an_expectation_can_select_on_an_override() -> None:
    entry = Expectation("x", "fail", "cause", ("u",), overridden=("channels_redis",))
    plain = EnvFacts("3.11", "4.2", "", {"channels-redis": "4.0.0"})
    assert not entry.applies_to_env(plain)
    assert entry.applies_to_env(EnvFacts("3.11", "4.2", "", {"channels-redis": "4.0.0"}, overrides=("channels-redis",)))


def test_the_lock_refresh_says_what_moved() -> None:
    before = {"requirements": ["daphne==4.2.2", "twisted==25.5.0"]}
    after = {"requirements": ["daphne==4.2.3", "twisted==25.5.0", "zope-interface==8.7"]}
    assert moved("row", before, after) == ["row: daphne 4.2.2 -> 4.2.3", "row: zope-interface (none) -> 8.7"]
    assert moved("row", None, after | {"resolved_by": "uv"}) == ["row: new row (uv)"]


def test_the_report_puts_latest_and_overrides_beside_the_pinned_env() -> None:
    def result(env: str, status: str, packages: dict[str, str]) -> dict[str, object]:
        return {"env": env, "status": status, "stack": {"packages": packages}}

    found = beside_pinned(
        [
            result("py311-django42-channels4", "pass", {"daphne": "4.2.2"}),
            result("py311-django42-channels4-latest", "fail", {"daphne": "4.2.3"}),
        ]
    )
    assert [(b.pinned, b.before, b.after, b.moved) for b in found] == [
        ("py311-django42-channels4", "✓", "✗", "daphne 4.2.2 → 4.2.3")
    ]


@pytest.mark.e2e
def test_a_with_run_has_its_own_results_and_venv(work_root: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    command = [sys.executable, "-m", "harness.cli.main", "run", CHANNELS_E2E_ENV, "--server", "daphne+redis"]
    command += ["--with", "channels-redis==4.0.0", "--results-dir", str(results), "--work-root", str(work_root)]
    command += ["--idle", "0"]  # the idle check's redis-py timeout is not this test's subject
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=ROOT)
    name = f"{CHANNELS_E2E_ENV}@channels-redis==4.0.0"
    assert done.returncode == 0, done.stdout + done.stderr
    assert [path.name for path in results.iterdir()] == [f"{name}.json"]  # the pinned env's file is not written
    result = json.loads((results / f"{name}.json").read_text())
    # daphne's known behaviours (its size limit, no 1009/1007 close, logout) as on the pinned env
    assert (result["env"], result["status"], result["as_expected"]) == (name, "known", True)
    assert result["overrides"] == [{"package": "channels-redis", "kind": "version", "value": "4.0.0", "key": "==4.0.0"}]
    assert result["stack"]["packages"]["channels-redis"] == "4.0.0"
    assert (work_root / name / "venv").is_dir()
