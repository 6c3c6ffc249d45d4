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

from tox.plugin import impl
from tox.tox_env.register import ToxEnvRegister
from tox_uv._run import UvVenvRunner


class HarnessDriverRunner(UvVenvRunner):
    @staticmethod
    def id() -> str:
        return "harness-driver"

    def _base_python_default(self, conf, env_name):  # noqa: ANN001, ANN202 - tox's signature
        return self.conf.get("default_base_python", list[str])

    @classmethod
    def _validate_base_python(cls, env_name: str, base_pythons: list[str], ignore_base_python_conflict: bool):  # noqa: ANN206, FBT001
        return base_pythons  # the env name's pyXY factor is the SUT's Python, never a conflict


@impl
def tox_register_tox_env(register: ToxEnvRegister) -> None:
    register.add_run_env(HarnessDriverRunner)
