"""Release lines: every minor release line of each stack, what each declares, and
which one a row of the matrix tests.

A user who asks "does Channels 4 work on Django 4.1?" runs ``pip install
'channels<5' 'django<4.2'`` and gets the newest Channels 4 release whose
metadata admits Django 4.1 (4.0.0), not the newest Channels 4 (4.3.2 requires
Django 4.2).  ``pick`` answers the same way: the newest release of the line that
declares the (Python, Django) pair; else the newest whose hard requirements
(Requires-Python, its Django requirement) admit it, as a resolver would; else
the newest of the line (the row is beyond support, installs fail, and it says so).

Each release is the newest patch of its minor line (a resolver's pick within the
line); its declared Pythons are its classifiers, its Djangos its ``Framework ::
Django`` classifiers or, where it has none, the Django versions its own CI ran
(tox.ini / .travis.yml at the tag; /work/.mirror/django+channels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Version = tuple[int, int]


def _py(*minors: int) -> tuple[Version, ...]:
    return tuple((3, minor) for minor in minors)


@dataclass(frozen=True)
class LineRelease:
    """One minor release line's newest release, what it declares and what it requires."""

    version: str
    djangos: tuple[Version, ...]  # declared
    pythons: tuple[Version, ...]  # declared
    min_python: Version  # Requires-Python (or the oldest classifier where it has none)
    min_django: Version  # its Requires-Dist on Django
    max_django: Version | None = None  # a hard upper bound (none of these releases has one)
    source: str = ""

    @property
    def line(self) -> str:
        """ "4.0" for 4.0.0: the minor line, as in env keys (channels40)."""
        return ".".join(self.version.split(".")[:2])

    @property
    def key_suffix(self) -> str:
        return "".join(self.version.split(".")[:2])

    def declares(self, python: Version, django: Version) -> bool:
        return python in self.pythons and django in self.djangos

    def admits(self, python: Version, django: Version) -> bool:
        return (
            python >= self.min_python
            and django >= self.min_django
            and (self.max_django is None or django <= self.max_django)
        )


@dataclass(frozen=True)
class Pick:
    """The release a row tests, and why that one."""

    release: LineRelease
    how: str  # "declared", "admitted" (a resolver's pick beyond the classifiers) or "beyond"


def pick(releases: Sequence[LineRelease], python: Version, django: Version) -> Pick:
    """The newest release declaring the pair; else the newest admitting it; else the newest."""
    newest_first = list(reversed(releases))
    for how, test in (("declared", LineRelease.declares), ("admitted", LineRelease.admits)):
        found = next((r for r in newest_first if test(r, python, django)), None)
        if found is not None:
            return Pick(found, how)
    return Pick(newest_first[0], "beyond")


# django-websocket-redis never updated its classifiers (every release lists Django
# 1.5 to 1.8, Python 2.7 and 3.3+), so each line's Djangos are what its code
# handles (harness/matrix/support.py cites the reading); no Requires-Python.
WS4REDIS_LINES: dict[str, tuple[LineRelease, ...]] = {
    "04": (
        LineRelease(
            "0.4.8",
            ((1, 8), (1, 9)),
            ((2, 7), *_py(3, 4)),
            (2, 7),
            (1, 5),
            source="classifiers 0.4.8 (Django 1.5-1.8; Python 2.7, 3.3, 3.4); the 2016 seed ran 0.4.6 on Django "
            "1.9; 0.4.8 adds ws4redis/_compat.py (is_authenticated, a property from Django 1.10)",
        ),
    ),
    "05": (
        LineRelease(
            "0.5.2",
            ((1, 8), (1, 9), (1, 10), (1, 11)),
            ((2, 7), *_py(3, 4, 5, 6)),
            (2, 7),
            (1, 5),
            source="classifiers 0.5.2 (Python 2.7, 3.3-3.6); ws4redis/_compat.py handles Django 1.10's "
            "is_authenticated property; imports django.utils.six (removed in Django 3.0)",
        ),
    ),
    "06": (
        LineRelease(
            "0.6.0",
            ((1, 11), (2, 0), (2, 1), (2, 2)),
            ((2, 7), *_py(3, 4, 5, 6)),
            (2, 7),
            (1, 5),
            source="classifiers 0.6.0 (Python 2.7, 3.3-3.6); django_runserver.py branches on Django 2.1.5; "
            "imports django.utils.six (removed in Django 3.0)",
        ),
    ),
}

# Channels 2.0 to 2.3 also declare Django 1.11 (their CI ran it); the example chat
# server needs Django 2.0 (django.urls.re_path), so the matrix starts at 2.0.
CHANNELS_LINES: dict[str, tuple[LineRelease, ...]] = {
    "2": (
        LineRelease(
            "2.0.2",
            ((2, 0),),
            _py(5, 6),
            (3, 5),
            (1, 11),
            source="classifiers 2.0.2 (Python 3.5, 3.6; Requires-Dist Django>=1.11); .travis.yml at 2.0.2: "
            "Django 1.11, 2.0",
        ),
        LineRelease(
            "2.1.7",
            ((2, 0), (2, 1)),
            _py(5, 6, 7),
            (3, 5),
            (1, 11),
            source="classifiers 2.1.7 (Python 3.5-3.7, Requires-Python >=3.5, Django>=1.11); tox.ini at 2.1.7: "
            "Django 1.11, 2.0, 2.1",
        ),
        LineRelease(
            "2.2.0",
            ((2, 1), (2, 2)),
            _py(5, 6, 7),
            (3, 5),
            (1, 11),
            source="classifiers 2.2.0 (Python 3.5-3.7, Django>=1.11); tox.ini at 2.2.0: Django 1.11, 2.1, 2.2",
        ),
        LineRelease(
            "2.3.1",
            ((2, 1), (2, 2)),
            _py(5, 6, 7, 8),
            (3, 5),
            (1, 11),
            source="classifiers 2.3.1 (Python 3.5-3.8, Django>=1.11); tox.ini at 2.3.1: Django 1.11, 2.1, 2.2",
        ),
        LineRelease(
            "2.4.0",
            ((2, 2), (3, 0)),
            _py(5, 6, 7, 8),
            (3, 5),
            (2, 2),
            source="classifiers 2.4.0 (Python 3.5-3.8, Requires-Dist Django>=2.2); tox.ini at 2.4.0: Django 2.2, 3.0",
        ),
    ),
    "3": (
        LineRelease(
            "3.0.5",
            ((2, 2), (3, 2), (4, 0)),
            _py(7, 8, 9, 10),
            (3, 7),
            (2, 2),
            source="classifiers 3.0.5 (Python 3.7-3.10, Requires-Python >=3.7, Django>=2.2); "
            "docs/releases/3.0.5.rst: drops Python 3.6 and Django 3.0 and 3.1, fixes Django 4.0",
        ),
    ),
    "4": (
        LineRelease(
            "4.0.0",
            ((3, 2), (4, 0), (4, 1)),
            _py(7, 8, 9, 10),
            (3, 7),
            (3, 2),
            source="classifiers 4.0.0 (Django 3.2, 4.0, 4.1; Python 3.7-3.10; Requires-Python >=3.7, Django>=3.2)",
        ),
        LineRelease(
            "4.1.0",
            ((4, 2), (5, 0)),
            _py(8, 9, 10, 11, 12),
            (3, 8),
            (4, 2),
            source="classifiers 4.1.0 (Django 4.2, 5.0; Python 3.8-3.12; Requires-Python >=3.8, Django>=4.2)",
        ),
        LineRelease(
            "4.2.2",
            ((4, 2), (5, 0), (5, 1), (5, 2)),
            _py(8, 9, 10, 11, 12, 13),
            (3, 8),
            (4, 2),
            source="classifiers 4.2.2 (Django 4.2, 5.0, 5.1, 5.2; Python 3.8-3.13; Requires-Python >=3.8)",
        ),
        LineRelease(
            "4.3.2",
            ((4, 2), (5, 1), (5, 2), (6, 0)),
            _py(9, 10, 11, 12, 13),
            (3, 9),
            (4, 2),
            source="classifiers 4.3.2 (Django 4.2, 5.1, 5.2, 6.0; Python 3.9-3.14; Requires-Python >=3.9)",
        ),
    ),
}
