"""Finding the installed browser: what is missing is named, with the package to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser.chromium import CHROMEDRIVER_ENV, CHROMIUM_ENV, NoBrowser, find_browser


def test_a_missing_browser_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    monkeypatch.setenv(CHROMEDRIVER_ENV, str(tmp_path / "no-driver"))
    with pytest.raises(NoBrowser) as caught:
        find_browser()
    assert str(caught.value) == "no chromium and no chromedriver found (apt-get install chromium chromium-driver)"


def test_the_variables_name_the_binaries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("chromium", "chromedriver"):
        binary = tmp_path / name
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "chromium"))
    monkeypatch.setenv(CHROMEDRIVER_ENV, str(tmp_path / "chromedriver"))
    found = find_browser()
    assert (found.chromium, found.chromedriver) == (tmp_path / "chromium", tmp_path / "chromedriver")
