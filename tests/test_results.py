"""The results model: versioned, validated, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import BadResults
from harness.results import files
from harness.results.schema import new_result


def _sample() -> dict:
    return new_result("py27-django18-ws4redis04", "2.7", "1.8", "django-websocket-redis", "0.4.6")


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    result = _sample()
    result["status"], result["reason"] = "not-tested", "not tested: interpreter not available"
    path = files.save(result, tmp_path)
    assert path.name == "py27-django18-ws4redis04.json"
    assert files.load_all(tmp_path) == [result]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left behind


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "x.json"
    target.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        files.write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r.update(schema=1), "results schema 1, this harness reads schema 2"),
        (lambda r: r.pop("deliveries"), "missing keys deliveries"),
        (lambda r: r.update(status="great"), "status 'great'"),
    ],
)
def test_invalid_results_are_refused_with_a_reason(tmp_path: Path, mutate, message: str) -> None:
    result = _sample()
    mutate(result)
    (tmp_path / "bad.json").write_text(json.dumps(result))
    with pytest.raises(BadResults, match=message):
        files.load_all(tmp_path)


def test_broken_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "half.json").write_text('{"schema": 1,')
    with pytest.raises(BadResults, match="half.json: not valid JSON"):
        files.load_all(tmp_path)
