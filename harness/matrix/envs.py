"""Env names: ``py<XY>-django<XY>-<line>[-<variant>][-latest][-<suite>][@<override>...]``,
and what an env installs and runs.

``<line>`` is a stack release line: a major (``channels4``: each row tests the
release ``lines.pick`` chooses for it) or one minor line (``channels40``).
``-latest`` installs the newest releases instead of the lock's; ``@PKG==1.2`` and
``@PKG=src-<hash>`` are ``--with`` overrides (harness/matrix/overrides.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from harness.errors import BadInput
from harness.matrix.lines import Pick
from harness.matrix.lock import django_range, inputs, locked_row, row_key
from harness.matrix.overrides import OVERRIDE_MARK, Override, override_suffix, requirement_name, split_overrides
from harness.matrix.releases import STACK_RELEASES, StackRelease, split_mode
from harness.matrix.suites import SUITES, Suite, split_suite
from harness.matrix.variants import VARIANTS, Variant

Version = tuple[int, int]
LATEST = "latest"  # the env-name factor of an unpinned env
ENV_NAME = re.compile(
    r"^py(?P<py_major>\d)(?P<py_minor>\d+)"
    r"-django(?P<dj_major>\d)(?P<dj_minor>\d+)"
    r"-(?P<family>[a-z][a-z0-9]*?)(?P<release>\d+)"
    r"(?:-(?P<variant>[a-z][a-z0-9]*))?$"
)


class BadEnvName(BadInput):
    """An env name that does not follow py<XY>-django<XY>-<stack><major>[-<variant>]."""


def env_name(
    python: Version, django: Version, release_key: str, variant: str = "", suite: str = "", latest: bool = False
) -> str:
    name = f"py{python[0]}{python[1]}-django{django[0]}{django[1]}-{release_key}"
    return "-".join(filter(None, (name, variant, LATEST if latest else "", suite)))


@dataclass(frozen=True)
class EnvSpec:
    """Everything an env name says: interpreter, Django line, stack release and variant."""

    name: str
    python: Version
    django: Version
    release_key: str
    variant: str = ""  # a key of VARIANTS; "" for the default
    suite: str = ""  # a key of SUITES; "" for the default checks
    latest: bool = False  # the newest releases, not the lock's (-latest)
    overrides: tuple[Override, ...] = ()  # --with, also in the name (@...)
    django_pre: bool = False  # -latest only: the Django line's pre-releases may be picked (--django-pre)

    @property
    def sut_name(self) -> str:
        """The env whose SUT venv and work dir this one uses: the name without its suite
        (an override keeps its own)."""
        base, overrides = split_overrides(self.name)
        return split_suite(base)[0] + overrides

    @property
    def row(self) -> str:
        """The lock's row: python, Django and line, without variant, suite or override."""
        return row_key(self.python, self.django, self.release_key)

    @property
    def pick(self) -> Pick:
        return self.stack.pick(self.python, self.django)

    @property
    def stack_version(self) -> str:
        """The release this row tests (for a -latest env, the newest the line allows)."""
        return self.stack.version if self.latest else self.pick.release.version

    def with_overrides(self, overrides: tuple[Override, ...]) -> EnvSpec:
        if not overrides:
            return self
        return replace(self, name=self.name + override_suffix(overrides), overrides=overrides)

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
        """The lock's exact requirements for the row, the variant's and the overrides; for a
        -latest env every stack and companion unpinned within the line."""
        variant_pins = list(self.variant_spec.pins_for(self.python)) if self.variant_spec else []
        if self.latest:
            base = self._latest_requirements()
        else:
            row = locked_row(self.row)
            base = list(row.requirements) if row else inputs(self.python, self.django, self.release_key)
            if row and self.overrides:
                # A replaced package may need other versions of what the rest pulled
                # in: the inputs stay at their locked versions, the resolver picks the rest.
                base = [r for r in base if requirement_name(r) in row.direct]
        replaced = {o.package for o in self.overrides}
        kept = [r for r in base + variant_pins if requirement_name(r) not in replaced]
        return kept + [o.requirement for o in self.overrides]

    def _latest_requirements(self) -> list[str]:
        stack = f"{self.stack.package}>={self.stack.lower},<{self.stack.upper}"
        django = django_range(self.django)
        if self.django_pre:  # the line's alphas, betas and candidates may be picked too (e.g. django61)
            django = django.replace(",", "a0,", 1)
        companions = [requirement_name(c) for c in self.stack.companions_for(self.python)]
        return [django, stack, *companions]


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
    match = ENV_NAME.match(split_latest(split_suite(split_overrides(name)[0])[0])[0])
    if not match:
        return None
    python = (int(match["py_major"]), int(match["py_minor"]))
    django = (int(match["dj_major"]), int(match["dj_minor"]))
    return python, django, match["family"] + match["release"], match["variant"] or ""


def split_latest(name: str) -> tuple[str, bool]:
    """("py311-django42-channels4", True) for "py311-django42-channels4-latest"."""
    base, _, last = name.rpartition("-")
    return (base, True) if base and last == LATEST else (name, False)


def parse_env_name(name: str) -> EnvSpec:
    if OVERRIDE_MARK in name:
        raise BadEnvName(f"bad env name {name!r}: give an override as --with PKG=SPEC, not in the name")
    parts = split_env_name(name)
    if parts is None:
        raise BadEnvName(
            f"bad env name {name!r}: expected py<XY>-django<XY>-<line>[-<variant>][-latest][-<suite>], "
            "e.g. py27-django18-ws4redis04 (see `tox -l`)"
        )
    python, django, release_key, variant = parts
    _, suite = split_suite(name)
    latest = split_latest(split_suite(name)[0])[1]
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
    return EnvSpec(
        name=name, python=python, django=django, release_key=release_key, variant=variant, suite=suite, latest=latest
    )
