"""tox plugin: the ``harness-driver`` runner.

Env names such as ``py27-django18-ws4redis04`` name the *system under test*,
not the Python tox should build.  tox would read ``py27`` as the env's
interpreter, and tox 4.6x cannot even inspect Python 2.7.  This runner is
tox-uv's runner with that reading turned off: every env runs the harness
driver on the ``base_python`` that tox.ini gives (a modern Python, with uv),
and the harness itself builds the SUT venv for the interpreter under test
(uv for 3.6+, an old virtualenv for 2.7).  One ``tox`` invocation thus covers
2.7 to 3.13 and keeps uv everywhere.
"""

from __future__ import annotations

from typing import Any

from tox.plugin import impl
from tox.tox_env.python.virtual_env.runner import VirtualEnvRunner
from tox.tox_env.register import ToxEnvRegister
from tox_uv._run import UvVenvRunner


class _DriverPython:
    """The env name's pyXY factor names the SUT's Python, not the driver's."""

    conf: Any  # tox's env config, set by the runner class this is mixed into

    def _base_python_default(self, conf: Any, env_name: str | None) -> list[str]:
        return self.conf.get("default_base_python", list[str])

    @classmethod
    def _validate_base_python(cls, env_name: str, base_pythons: list[str], ignore_base_python_conflict: bool):
        return base_pythons  # never a conflict


class HarnessDriverRunner(_DriverPython, UvVenvRunner):
    @staticmethod
    def id() -> str:
        return "harness-driver"


class HarnessDriverPipRunner(_DriverPython, VirtualEnvRunner):
    """tox's plain virtualenv + pip, for the benchmark's comparison
    (``-x testenv.runner=harness-driver-pip``)."""

    @staticmethod
    def id() -> str:
        return "harness-driver-pip"


@impl
def tox_register_tox_env(register: ToxEnvRegister) -> None:
    register.add_run_env(HarnessDriverRunner)
    register.add_run_env(HarnessDriverPipRunner)
