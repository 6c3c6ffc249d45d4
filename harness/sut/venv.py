"""Build the system-under-test venv: the interpreter under test, Django, the stack
and its servers.  uv for Python 3.6+; for 2.7 (which uv refuses) a virtualenv
older than 20.22 run through ``uv tool run``, then the venv's own pip.
``HARNESS_SUT_INSTALLER=pip`` uses ``python -m venv`` + pip for 3.x instead
(the benchmark's plain baseline).

A venv whose recipe (interpreter + requirements) has not changed is reused,
which is what makes a warm re-run fast.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.errors import InstallError
from harness.sut.interpreters import Interpreter
from harness.sut.procs import run_command

CREATE_TIMEOUT = 180.0
INSTALL_TIMEOUT = 1200.0  # uWSGI and gevent may compile from source
RECIPE_FILE = ".harness-recipe.json"
PACKAGES_FILE = ".harness-packages.json"  # what the install gave, read back on reuse

# Lines that name why an install failed, best first.
_KEY_ERROR_PATTERNS = (
    # uv's explanation ("cause: Because channels>=4.3.2 depends on django>=4.2 ...")
    # says more than its headline ("No solution found ..."), so it comes first.
    r".*?(Because .* (?:we can conclude|is unsatisfiable).*)",
    r"(?:× )?(No solution found.*)",  # uv's headline, behind its "×" mark
    r"ERROR: (?:Could not find|No matching distribution|Cannot install|ResolutionImpossible).*",
    r".*\berror: .*",
    r"ERROR: .*",
    r".*Error: .*",
)


@dataclass(frozen=True)
class SutEnv:
    venv: Path
    interpreter: Interpreter
    packages: dict[str, str]
    reused: bool
    recipe: dict[str, object]  # interpreter and requirements: what a reused venv must match

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def bin_dir(self) -> Path:
        return self.venv / "bin"


def _unwrapped_lines(output: str) -> list[str]:
    """Stripped non-empty lines, with uv's "cause:" sentences rejoined: uv wraps them
    at $COLUMNS (which pytest and some terminals set), splitting "Because ... conclude"."""
    lines: list[str] = []
    in_cause = False
    for raw in output.splitlines():
        line = raw.strip()
        if not line:
            continue
        continued = in_cause and raw[:1].isspace()
        if continued and lines and not lines[-1].endswith("."):
            lines[-1] += " " + line
            continue
        in_cause = line.startswith("cause:") or continued
        lines.append(line)
    return lines


def key_error_line(output: str) -> str:
    """The most telling line of a failed install's output."""
    lines = _unwrapped_lines(output)
    for pattern in _KEY_ERROR_PATTERNS:
        for line in lines:
            match = re.fullmatch(pattern, line)
            if match and "DEPRECATION" not in line:
                return (match.group(1) if match.groups() else line)[:300]
    return lines[-1][:300] if lines else "install failed with no output"


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    if not Path(found).exists():
        raise InstallError("uv not found: install the harness with its dependencies (pip install -e .)", "")
    return found


def uv_binary() -> str:
    """The uv next to the harness (also what ``harness lock`` resolves with)."""
    return _uv()


def _installer() -> str:
    """The SUT installer: "uv" (default), or "pip" (plain venv + pip, the benchmark's baseline)."""
    return "pip" if os.environ.get("HARNESS_SUT_INSTALLER", "uv") == "pip" else "uv"


def _seed_pip(version: str) -> str:
    """The newest pip that still runs on ``version`` (old pips may ignore Requires-Python)."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return {(3, 6): "pip<22", (3, 7): "pip<24.1", (3, 8): "pip<25.1"}.get((major, minor), "pip")


def _recipe(interpreter: Interpreter, requirements: list[str], extra: dict[str, object]) -> dict[str, object]:
    recipe: dict[str, object] = {
        "python": str(interpreter.path),
        "version": interpreter.version,
        "requirements": requirements,
        **extra,
    }
    if _installer() == "pip":
        recipe["installer"] = "pip"  # never reuse a uv-built venv as a pip-built one
    elif not interpreter.version.startswith("2."):
        # uv installs: rebuild, once, a venv from before copy mode (its files are
        # the cache's inodes).  pip's venvs (2.7, the pip installer) always copied.
        recipe["link_mode"] = "copy"
    return recipe


def _recipe_matches(venv: Path, recipe: dict[str, object]) -> bool:
    marker = venv / RECIPE_FILE
    if not marker.is_file() or not (venv / "bin" / "python").exists():
        return False
    try:
        return json.loads(marker.read_text()) == recipe
    except ValueError:
        return False


def _create_and_install(venv: Path, interpreter: Interpreter, requirements: list[str], log_dir: Path) -> None:
    uv = _uv()
    python2 = interpreter.version.startswith("2.")
    if python2:
        create = [
            uv,
            "tool",
            "run",
            "--from",
            "virtualenv<20.22",
            "virtualenv",
            "--no-periodic-update",
            "-p",
            str(interpreter.path),
            str(venv),
        ]
        install = [str(venv / "bin" / "pip"), "install", "--no-input", "--disable-pip-version-check", *requirements]
    elif _installer() == "pip":
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-input", "--disable-pip-version-check"]
        # venv's bundled pip is as old as the interpreter (18.1 on 3.6): upgrade it
        # first, as virtualenv's seeding would, or it cannot build today's sdists.
        seed = '"$0" -m venv "$1" && shift && "$@"'
        create = ["sh", "-c", seed, str(interpreter.path), str(venv), *pip, "-U", _seed_pip(interpreter.version)]
        install = [*pip, *requirements]
    else:
        create = [uv, "venv", "--no-project", "--python", str(interpreter.path), str(venv)]
        # Copies, not uv's default hardlinks into its cache: a hardlinked file is the
        # same inode in the cache and in every env holding that package, so an edit
        # made in place to debug one env silently changes them all.
        python = str(venv / "bin" / "python")
        install = [uv, "pip", "install", "--link-mode", "copy", "--python", python, *requirements]
        # A local checkout (--with PKG=path) is built afresh: uv's cache would reuse an
        # earlier build of the same folder whose setup files did not change.
        install += [f"--refresh-package={r.partition(' @ ')[0]}" for r in requirements if " @ file:" in r]
    for step, cmd, timeout in (("create", create, CREATE_TIMEOUT), ("install", install, INSTALL_TIMEOUT)):
        outcome = run_command(cmd, timeout=timeout, log_path=log_dir / f"venv-{step}.log")
        if outcome.returncode is None:
            raise InstallError(f"{step} step timed out after {timeout:.0f} s", outcome.output)
        if not outcome.ok:
            raise InstallError(key_error_line(outcome.output), outcome.output)


def installed_packages(venv: Path, log_dir: Path) -> dict[str, str]:
    """Name -> version of every distribution in the venv (works on 2.7 and 3.x)."""
    script = (
        "import json, sys\n"
        "try:\n"
        "    from importlib.metadata import distributions\n"
        "    pairs = [(d.metadata['Name'], d.version) for d in distributions()]\n"
        "except ImportError:\n"
        "    import pkg_resources\n"
        "    pairs = [(d.project_name, d.version) for d in pkg_resources.working_set]\n"
        "sys.stdout.write(json.dumps(dict(pairs)))\n"
    )
    # cwd=venv: "" on sys.path must not pick up a project's egg-info.
    outcome = run_command(
        [str(venv / "bin" / "python"), "-c", script], timeout=60, cwd=venv, log_path=log_dir / "packages.log"
    )
    try:
        data = json.loads(outcome.output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {}
    stdlib = {"Python", "wsgiref"}  # egg-infos that Python 2.7's stdlib ships
    return dict(sorted((str(k), str(v)) for k, v in data.items() if k and k not in stdlib))


def build_sut_env(
    venv: Path, interpreter: Interpreter, requirements: list[str], log_dir: Path, extra: dict[str, object] | None = None
) -> SutEnv:
    """``extra``: more of the recipe, e.g. the day an unpinned venv was resolved (rebuilt the next)."""
    recipe = _recipe(interpreter, requirements, extra or {})
    reused = _recipe_matches(venv, recipe)
    if reused:
        try:
            return SutEnv(venv, interpreter, json.loads((venv / PACKAGES_FILE).read_text()), True, recipe)
        except (OSError, ValueError):
            pass  # a venv from before the packages file: list them again
    else:
        shutil.rmtree(venv, ignore_errors=True)
        venv.parent.mkdir(parents=True, exist_ok=True)
        _create_and_install(venv, interpreter, requirements, log_dir)
    packages = installed_packages(venv, log_dir)
    (venv / PACKAGES_FILE).write_text(json.dumps(packages))
    (venv / RECIPE_FILE).write_text(json.dumps(recipe))  # last: it marks the venv complete
    return SutEnv(venv, interpreter, packages, reused, recipe)
