"""Expected outcomes: the reviewed, versioned list of known upstream defects
(``expectations.toml``) and how an observed item is matched against it.

An entry selects by any installed package and its version range (the stack, a
companion such as channels_redis or redis-py, the server itself), by Python and
Django version, server mode (a whole mode, a server or a layer), variant, the
number of server processes per mode (``--processes``), a ``--with`` override
(``with = "channels-redis"``: only runs replacing it), and by item: a check, a
delivery cell, a stage ("install", "migrate", "start", "scenarios"), or an
exception the server logged (``exception``, fnmatch on its type).  It says what
is expected ("fail" or "flaky"), why in one line, and where upstream says so.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from harness.errors import BadInput
from harness.matrix.envs import matches_mode
from harness.paths import ROOT

EXPECTATIONS = ROOT / "expectations.toml"
EXPECTED_OUTCOMES = ("fail", "flaky")
# What an entry's [when] table may select on besides installed packages.
FACTS = ("python", "django", "mode", "variant", "processes", "items", "exception", "with")
ABSENT = "absent"  # a package selector: the package is not installed
# Items judged by `harness conformance`, not by `harness run` (Autobahn cases).
CONFORMANCE_PREFIX = "conformance:"
# A server-log item: "log:" and the type of an exception the server logged, unprovoked.
LOG_ITEM = "log:"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class EnvFacts:
    """What an expectation can select on in one env: versions and installed packages."""

    python: str
    django: str
    variant: str = ""
    packages: Mapping[str, str] = field(default_factory=dict)
    processes: int = 1  # server processes per mode asked for (harness run --processes)
    overrides: tuple[str, ...] = ()  # packages replaced with --with

    def version_of(self, package: str) -> str | None:
        wanted = _normal(package)
        return next((v for k, v in self.packages.items() if _normal(k) == wanted), None)


@dataclass(frozen=True)
class Expectation:
    id: str
    outcome: str  # "fail" | "flaky"
    cause: str
    upstream: tuple[str, ...]
    python: SpecifierSet | None = None
    django: SpecifierSet | None = None
    packages: tuple[tuple[str, SpecifierSet | None], ...] = ()  # None: must be absent
    modes: tuple[str, ...] = ()  # empty: every mode
    variants: tuple[str, ...] | None = None  # None: any variant; ("",) the default only
    processes: SpecifierSet | None = None  # None: any number of server processes
    items: tuple[str, ...] = ()  # fnmatch patterns; empty: every item of the mode
    # fnmatch patterns of logged exception types ("redis.exceptions.TimeoutError"): the
    # entry then names those server-log items (and the ``items`` too, when given)
    exceptions: tuple[str, ...] = ()
    overridden: tuple[str, ...] | None = None  # `with`: only runs replacing one of these (--with)

    def applies_to_env(self, env: EnvFacts) -> bool:
        if self.variants is not None and env.variant not in self.variants:
            return False
        if not _within(str(env.processes), self.processes):
            return False
        if self.overridden is not None and not {_normal(p) for p in self.overridden} & {
            _normal(p) for p in env.overrides
        }:
            return False
        if not _within(env.python, self.python) or not _within(env.django, self.django):
            return False
        for package, spec in self.packages:
            installed = env.version_of(package)
            if spec is None:
                if installed is not None:
                    return False
            elif installed is None or not _within(installed, spec):
                return False
        return True

    def applies_to_mode(self, mode: str) -> bool:
        return not self.modes or any(matches_mode(mode, name) for name in self.modes)

    @property
    def conformance_only(self) -> bool:
        """Whether every item is an Autobahn case: `harness run` neither uses nor checks the entry."""
        return bool(self.items) and all(i.startswith(CONFORMANCE_PREFIX) for i in self.items)

    def names_item(self, item: str) -> bool:
        if self.exceptions:
            logged = item[len(LOG_ITEM) :] if item.startswith(LOG_ITEM) else None
            if logged is not None and any(fnmatch.fnmatchcase(logged, pattern) for pattern in self.exceptions):
                return True
            if not self.items:
                return False
        return not self.items or any(fnmatch.fnmatchcase(item, pattern) for pattern in self.items)

    def matches(self, env: EnvFacts, mode: str, item: str) -> bool:
        return self.applies_to_env(env) and self.applies_to_mode(mode) and self.names_item(item)


def _within(version: str, spec: SpecifierSet | None) -> bool:
    if spec is None:
        return True
    try:
        return Version(version) in spec
    except InvalidVersion:
        return False


def _specifier(source: str, entry: str, key: str, value: object) -> SpecifierSet:
    try:
        return SpecifierSet(str(value))
    except InvalidSpecifier:
        raise BadInput(f"{source}: [{entry}] {key} = {value!r} is not a version range (e.g. '>=3.0,<4')") from None


def _strings(source: str, entry: str, key: str, value: object) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise BadInput(f"{source}: [{entry}] {key} must be a string or a list of strings")
    return tuple(values)


def _entry(source: str, raw: object, index: int) -> Expectation:
    if not isinstance(raw, dict):
        raise BadInput(f"{source}: expectation {index + 1} is not a table")
    ident = raw.get("id")
    if not isinstance(ident, str) or not ident:
        raise BadInput(f"{source}: expectation {index + 1} has no id")
    unknown = set(raw) - {"id", "outcome", "cause", "upstream", "when"}
    if unknown:
        raise BadInput(f"{source}: [{ident}] unknown keys {', '.join(sorted(unknown))}")
    if raw.get("outcome") not in EXPECTED_OUTCOMES:
        raise BadInput(f"{source}: [{ident}] outcome must be one of {', '.join(EXPECTED_OUTCOMES)}")
    cause, upstream = raw.get("cause"), _strings(source, ident, "upstream", raw.get("upstream", []))
    if not isinstance(cause, str) or not cause.strip() or "\n" in cause.strip():
        raise BadInput(f"{source}: [{ident}] needs a one-line cause")
    if not upstream:
        raise BadInput(f"{source}: [{ident}] needs an upstream reference (issue or commit)")
    when = raw.get("when", {})
    if not isinstance(when, dict):
        raise BadInput(f"{source}: [{ident}] when must be a table")
    packages = []
    for key, value in when.items():
        if key in FACTS:
            continue
        packages.append((key, None if value == ABSENT else _specifier(source, ident, key, value)))
    return Expectation(
        id=ident,
        outcome=raw["outcome"],
        cause=cause.strip(),
        upstream=upstream,
        python=_specifier(source, ident, "python", when["python"]) if "python" in when else None,
        django=_specifier(source, ident, "django", when["django"]) if "django" in when else None,
        packages=tuple(packages),
        modes=_strings(source, ident, "mode", when.get("mode", [])),
        variants=_strings(source, ident, "variant", when["variant"]) if "variant" in when else None,
        processes=_specifier(source, ident, "processes", when["processes"]) if "processes" in when else None,
        items=_strings(source, ident, "items", when.get("items", [])),
        exceptions=_strings(source, ident, "exception", when.get("exception", [])),
        overridden=_strings(source, ident, "with", when["with"]) if "with" in when else None,
    )


def load_expectations(path: Path = EXPECTATIONS) -> list[Expectation]:
    """Every entry of ``path`` (``[[expect]]`` tables); a mistake is one ``BadInput`` line."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the expectations ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: not valid TOML ({exc})") from None
    entries = [_entry(str(path), raw, i) for i, raw in enumerate(data.get("expect", []))]
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise BadInput(f"{path}: two expectations have the id {entry.id!r}")
        seen.add(entry.id)
    return entries


def first_match(expectations: Sequence[Expectation], env: EnvFacts, mode: str, item: str) -> Expectation | None:
    return next((e for e in expectations if e.matches(env, mode, item)), None)
