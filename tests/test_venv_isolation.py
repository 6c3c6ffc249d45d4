"""SUT venvs share no writable inode with uv's cache or with each other
(DECISIONS 13): an in-place edit to a stack's file, made to debug one env,
must not change every other env holding the same package.  Real tiny venvs,
built by ``build_sut_env`` with each installer: uv (3.x), pip (3.x, the
benchmark's baseline) and virtualenv + pip (2.7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.sut import venv as sutenv
from harness.sut.interpreters import find_interpreter

# Small, pure Python, with a wheel for 2.7 and 3.x; installed as a hardlink into
# uv's cache by ``uv pip install`` in uv's default link mode.
REQUIREMENT = "six==1.16.0"


def _shared_files(venv: Path) -> list[str]:
    """Regular files under the venv's site-packages with another name elsewhere
    (st_nlink > 1): a hardlink into uv's cache shows nlink >= 2."""
    shared = []
    for site_packages in venv.glob("lib/python*/site-packages"):
        for folder, _dirs, files in os.walk(site_packages):
            for name in files:
                stat = os.lstat(Path(folder, name))
                if stat.st_nlink > 1 and not os.path.islink(Path(folder, name)):
                    shared.append(f"{Path(folder, name).relative_to(venv)} (nlink {stat.st_nlink})")
    return sorted(shared)


@pytest.mark.parametrize(("version", "installer"), [("3.11", "uv"), ("3.11", "pip"), ("2.7", "uv")])
def test_sut_venv_shares_no_inode_with_the_cache(
    version: str, installer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    interpreter = find_interpreter(version)
    if interpreter is None:
        pytest.skip(f"python{version} not found")
    monkeypatch.setenv("HARNESS_SUT_INSTALLER", installer)
    sut = sutenv.build_sut_env(tmp_path / "venv", interpreter, [REQUIREMENT], tmp_path / "logs")
    assert sut.packages.get("six") == "1.16.0"
    site_packages = list(sut.venv.glob("lib/python*/site-packages"))
    assert len(site_packages) == 1 and (site_packages[0] / "six.py").is_file()
    assert _shared_files(sut.venv) == []
    if installer == "uv" and version != "2.7":  # a uv venv from before copy mode is rebuilt once
        assert sut.recipe.get("link_mode") == "copy"
