"""Env names: ``py<XY>-django<XY>-<stack><major>[-<variant>][-<suite>]``, and what an env installs and runs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import BadInput
from harness.matrix.releases import STACK_RELEASES, StackRelease, split_mode
from harness.matrix.suites import SUITES, Suite, split_suite
from harness.matrix.variants import VARIANTS, Variant

Version = tuple[int, int]
ENV_NAME = re.compile(
    r"^py(?P<py_major>\d)(?P<py_minor>\d+)"
    r"-django(?P<dj_major>\d)(?P<dj_minor>\d+)"
    r"-(?P<family>[a-z][a-z0-9]*?)(?P<release>\d+)"
    r"(?:-(?P<variant>[a-z][a-z0-9]*))?$"
)


class BadEnvName(BadInput):
    """An env name that does not follow py<XY>-django<XY>-<stack><major>[-<variant>]."""


def env_name(python: Version, django: Version, release_key: str, variant: str = "", suite: str = "") -> str:
    name = f"py{python[0]}{python[1]}-django{django[0]}{django[1]}-{release_key}"
    return "-".join(filter(None, (name, variant, suite)))


@dataclass(frozen=True)
class EnvSpec:
    """Everything an env name says: interpreter, Django line, stack release and variant."""

    name: str
    python: Version
    django: Version
    release_key: str
    variant: str = ""  # a key of VARIANTS; "" for the default
    suite: str = ""  # a key of SUITES; "" for the default checks

    @property
    def sut_name(self) -> str:
        """The env whose SUT venv and work dir this one uses: the name without its suite."""
        return split_suite(self.name)[0]

    @property
    def suite_spec(self) -> Suite:
        return SUITES[self.suite] if self.suite else Suite("")

    @property
    def variant_spec(self) -> Variant | None:
        return VARIANTS[self.variant] if self.variant else None

    def chat_environment(self) -> dict[str, str]:
        """The variant's extra CHAT_* variables for the chat server (none by default)."""
        return dict(self.variant_spec.environment) if self.variant_spec else {}

    @property
    def stack(self) -> StackRelease:
        return STACK_RELEASES[self.release_key]

    @property
    def python_version(self) -> str:
        return ".".join(map(str, self.python))

    @property
    def django_version(self) -> str:
        return ".".join(map(str, self.django))

    @property
    def servers(self) -> tuple[str, ...]:
        """Server modes, e.g. ("runserver", "uwsgi") or ("daphne+redis", ...)."""
        return self.stack.modes

    def select_modes(self, wanted: Sequence[str]) -> tuple[str, ...]:
        """The modes matching any of ``wanted`` (a whole mode, a server or a layer); all when empty."""
        return tuple(m for m in self.servers if not wanted or any(matches_mode(m, name) for name in wanted))

    def requirements(self) -> list[str]:
        major, minor = self.django
        django_pin = f"Django>={major}.{minor},<{major}.{minor + 1}"
        stack_pin = f"{self.stack.package}=={self.stack.version}"
        variant_pins = self.variant_spec.pins_for(self.python) if self.variant_spec else ()
        return [django_pin, stack_pin, *self.stack.pins_for(self.python), *variant_pins]


def matches_mode(mode: str, name: str) -> bool:
    """Whether ``name`` names ``mode``: the whole of it ("daphne+redis"), its server or its layer."""
    return name in (mode, *filter(None, split_mode(mode)))


def plan_modes(specs: Sequence[EnvSpec], wanted: Sequence[str]) -> list[tuple[EnvSpec, tuple[str, ...]]]:
    """Each env with the modes ``wanted`` selects (all when empty), as ``run`` and ``load`` read ``--server``.

    Every name must match a mode of some env given, and every env at least one name.
    """
    for name in wanted:
        if not any(matches_mode(mode, name) for spec in specs for mode in spec.servers):
            known = ", ".join(dict.fromkeys(mode for spec in specs for mode in spec.servers))
            raise BadInput(f"no env given has server mode {name!r}; their modes are {known}")
    plan = []
    for spec in specs:
        modes = spec.select_modes(wanted)
        if not modes:
            raise BadInput(
                f"{spec.name} has none of the server modes {', '.join(wanted)}; its modes are {', '.join(spec.servers)}"
            )
        plan.append((spec, modes))
    return plan


def split_env_name(name: str) -> tuple[Version, Version, str, str] | None:
    """(python, django, release key, variant or "") of a well-formed env name, known release
    and variant or not; a suite suffix is set aside."""
    match = ENV_NAME.match(split_suite(name)[0])
    if not match:
        return None
    python = (int(match["py_major"]), int(match["py_minor"]))
    django = (int(match["dj_major"]), int(match["dj_minor"]))
    return python, django, match["family"] + match["release"], match["variant"] or ""


def parse_env_name(name: str) -> EnvSpec:
    parts = split_env_name(name)
    if parts is None:
        raise BadEnvName(
            f"bad env name {name!r}: expected py<XY>-django<XY>-<stack><major>[-<variant>][-<suite>], "
            "e.g. py27-django18-ws4redis04 (see `tox -l`)"
        )
    python, django, release_key, variant = parts
    _, suite = split_suite(name)
    if release_key not in STACK_RELEASES:
        known = ", ".join(sorted(STACK_RELEASES))
        raise BadEnvName(f"unknown stack release {release_key!r} in {name!r}: known are {known}")
    if variant:
        family = STACK_RELEASES[release_key].family
        if variant not in VARIANTS:
            known = ", ".join(sorted(VARIANTS))
            raise BadEnvName(f"unknown variant {variant!r} in {name!r}: known are {known}")
        if family not in VARIANTS[variant].families:
            valid = ", ".join(sorted(v for v, spec in VARIANTS.items() if family in spec.families)) or "none"
            raise BadEnvName(
                f"variant {variant!r} does not apply to {family} ({name!r}); variants of {family}: {valid}"
            )
    return EnvSpec(name=name, python=python, django=django, release_key=release_key, variant=variant, suite=suite)
