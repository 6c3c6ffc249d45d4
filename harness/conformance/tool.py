"""The harness's own Autobahn|Testsuite: a Python 2.7 virtualenv in the work folder,
built once per pinned tool version and reused.

``autobahntestsuite`` is a Python 2.7 wheel.  pip inside a 2.7 venv trips over a
global pip configuration (``AssertionError: req.link is not None`` on machines
with find-links / constraints set), so it installs with ``--isolated`` and
``PIP_CONFIG_FILE=/dev/null``.  Every package is pinned exactly (what
``autobahntestsuite==25.10.1`` resolved to), so two machines run the same tool.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from harness.errors import HarnessError
from harness.sut.interpreters import find_interpreter
from harness.sut.prepare import work_dir_lock
from harness.sut.procs import run_command
from harness.sut.venv import key_error_line

TOOL = "autobahntestsuite"
TOOL_VERSION = "25.10.1"
# What the pin above resolves to on Python 2.7 (pip freeze of a fresh install).
PINS = (
    f"{TOOL}=={TOOL_VERSION}",
    "Automat==22.10.0",
    "PyHamcrest==1.10.1",
    "Twisted==19.10.0",
    "Werkzeug==1.0.1",
    "argparse==1.4.0",
    "attrs==21.4.0",
    "autobahn==0.10.9",
    "cffi==1.15.1",
    "constantly==15.1.0",
    "cryptography==3.3.2",
    "enum34==1.1.10",
    "hyperlink==21.0.0",
    "idna==2.10",
    "incremental==16.10.1",
    "ipaddress==1.0.23",
    "jinja2==2.11.3",
    "klein==17.10.0",
    "linecache2==1.0.0",
    "markupsafe==1.1.1",
    "pyOpenSSL==19.1.0",
    "pyasn1==0.5.1",
    "pyasn1-modules==0.3.0",
    "pycparser==2.21",
    "service-identity==18.1.0",
    "six==1.16.0",
    "traceback2==1.4.0",
    "txaio==2.1.0",
    "typing==3.10.0.0",
    "ujson==2.0.3",
    "unittest2==1.1.0",
    "wsaccel==0.6.6",
    "zope.interface==4.6.0",
)
CREATE_TIMEOUT = 120.0
INSTALL_TIMEOUT = 300.0  # wsaccel and PyHamcrest compile; ~30 s on a quiet machine
RECIPE_FILE = ".harness-tool.json"


class ToolMissing(HarnessError):
    """The test suite cannot run here: conformance items are "not tested: <why>"."""


def tool_dir(work_root: Path) -> Path:
    return work_root / "conformance" / f"{TOOL}-{TOOL_VERSION}"


def _ready(venv: Path, recipe: dict[str, object]) -> bool:
    marker = venv / RECIPE_FILE
    try:
        return (venv / "bin" / "wstest").exists() and json.loads(marker.read_text()) == recipe
    except (OSError, ValueError):
        return False


def ensure_wstest(work_root: Path) -> Path:
    """The ``wstest`` of the harness's tool venv, built if absent; ``ToolMissing`` if it cannot be."""
    folder = tool_dir(work_root)
    venv = folder / "venv"
    with work_dir_lock(folder, timeout=CREATE_TIMEOUT + INSTALL_TIMEOUT + 60):
        interpreter = find_interpreter("2.7")
        if interpreter is None:
            raise ToolMissing("Autobahn|Testsuite needs Python 2.7 (python2.7 not found)")
        recipe: dict[str, object] = {"python": str(interpreter.path), "pins": list(PINS)}
        if _ready(venv, recipe):
            return venv / "bin" / "wstest"
        shutil.rmtree(venv, ignore_errors=True)
        _build(venv, interpreter.path, folder)
        (venv / RECIPE_FILE).write_text(json.dumps(recipe))  # last: it marks the venv complete
    return venv / "bin" / "wstest"


def _build(venv: Path, python: Path, folder: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        raise ToolMissing("cannot build the Autobahn|Testsuite venv: uv not found")
    create = [uv, "tool", "run", "--from", "virtualenv<20.22", "virtualenv", "--no-periodic-update"]
    create += ["-p", str(python), str(venv)]
    install = [str(venv / "bin" / "pip"), "install", "--isolated", "--no-input", "--disable-pip-version-check"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": os.devnull}
    steps = (("create", create, CREATE_TIMEOUT), ("install", [*install, *PINS], INSTALL_TIMEOUT))
    for step, cmd, timeout in steps:
        outcome = run_command(cmd, timeout=timeout, log_path=folder / f"tool-{step}.log", env=env)
        if outcome.returncode is None:
            raise ToolMissing(f"Autobahn|Testsuite {step} timed out after {timeout:.0f} s ({folder}/tool-{step}.log)")
        if not outcome.ok:
            why = key_error_line(outcome.output)
            raise ToolMissing(f"Autobahn|Testsuite {step} failed: {why} ({folder}/tool-{step}.log)")
