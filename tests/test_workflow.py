"""The generated GitHub workflow: valid YAML, in sync, its matrix is the full label."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
import yaml

from harness.matrix import workflow
from harness.matrix.labels import LABELS
from harness.paths import ROOT


def _loaded() -> dict:
    return yaml.safe_load(workflow.WORKFLOW.read_text())


def test_workflow_file_is_generated_from_the_matrix() -> None:
    assert workflow.WORKFLOW.read_text() == workflow.render(), "run `python -m harness.matrix.workflow`"


def test_workflow_is_valid_yaml_with_one_job_per_env_of_the_full_and_latest_labels() -> None:
    data = _loaded()
    assert set(data) == {"name", "on", "jobs"}
    include = data["jobs"]["env"]["strategy"]["matrix"]["include"]
    assert [entry["env"] for entry in include] == [*LABELS["full"], *LABELS["latest"]]
    assert data["jobs"]["env"]["strategy"]["fail-fast"] is False


def test_report_job_merges_every_results_artifact() -> None:
    job = _loaded()["jobs"]["report"]
    assert job["needs"] == "env" and job["if"] == "always()"
    download = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/download-artifact"))
    assert download["with"]["pattern"] == "results-*" and download["with"]["merge-multiple"] is True
    assert any(step.get("run") == "harness report" for step in job["steps"])


@pytest.mark.skipif(importlib.util.find_spec("tox") is None, reason="tox is not installed in this Python")
def test_matrix_equals_tox_list_for_the_full_and_latest_labels() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tox", "-l", "-m", "full", "latest"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    include = _loaded()["jobs"]["env"]["strategy"]["matrix"]["include"]
    listed = [env for env in done.stdout.split() if env != "report"]  # `latest` ends with the report
    assert sorted(listed) == sorted(entry["env"] for entry in include)
