"""Labels: the groups of envs that tox runs with ``tox -m LABEL``."""

from __future__ import annotations

from harness.matrix.envs import env_name, parse_env_name
from harness.matrix.releases import STACK_RELEASES
from harness.matrix.support import declared_cells, full_env_names

# Labels select groups of envs (tox -m LABEL).  The seed rows repeat the 2016
# report, including the interpreters it had and we do not (reported as such).
LABELS: dict[str, tuple[str, ...]] = {
    "seed": (
        "py27-django18-ws4redis04",
        "py27-django19-ws4redis04",
        "py32-django18-ws4redis04",
        "py33-django18-ws4redis04",
        "py34-django18-ws4redis04",
        "py34-django19-ws4redis04",
        "py35-django18-ws4redis04",
        "py35-django19-ws4redis04",
    ),
    "ws4redis": (
        "py36-django111-ws4redis05",
        "py37-django22-ws4redis06",
        "py311-django22-ws4redis06",
        "py311-django42-ws4redis06",
        "py312-django52-ws4redis06",
    ),
    "channels": (
        "py36-django22-channels2",
        "py38-django30-channels2",  # the seed 002 stack: Channels 2.4 on Django 3.0
        "py38-django31-channels3",
        "py39-django32-channels3",
        "py310-django42-channels4",
        "py311-django42-channels4",
        "py312-django52-channels4",
        "py313-django52-channels4",
        "py312-django60-channels4",
        # One step past declared support, reported whatever happens.
        "py38-django32-channels2",
        "py310-django42-channels3",
        "py311-django41-channels4",
    ),
    # Upstream's remedies and setups (harness/matrix/variants.py), each beside its
    # default env: the seed's and the modern ws4redis env with wsaccel, and the seed's
    # with sessions in Redis as upstream's example.
    "variants": (
        "py27-django18-ws4redis04-wsaccel",
        "py37-django22-ws4redis06-wsaccel",
        "py27-django18-ws4redis04-redissessions",
    ),
}
# What README line 1 runs: the seed rows plus one modern env of each stack, and the variants.
LABELS["main"] = LABELS["seed"] + ("py37-django22-ws4redis06", "py311-django42-channels4") + LABELS["variants"]
# Everything: what each stack and Django release declares plus one step past each
# edge (harness/matrix/support.py), then every env the other labels name, so that
# `tox -m full` runs every env of `tox -l` and one report holds them all.
LABELS["full"] = tuple(dict.fromkeys([*full_env_names(), *(n for names in LABELS.values() for n in names)]))


# Labels of the harness's own tox envs (hand-written in tox.ini, not SUT envs):
# `tox -m conformance` runs Autobahn|Testsuite cases 1-10 against the servers of
# the main job; the main job itself runs them without chapter 9 (conformance-main),
# whose per-case timeouts alone take minutes where a server does not echo.
TOOL_LABELS: dict[str, tuple[str, ...]] = {"conformance": ("conformance",)}
# What the main job runs after its envs, in order: conformance, then the report.
MAIN_TAIL = ("conformance-main", "report")


def all_env_names() -> list[str]:
    seen: dict[str, None] = {}
    for names in LABELS.values():
        for name in names:
            seen.setdefault(name, None)
    return list(seen)


# One env per stack release, each with its heavy checks (harness/matrix/suites.py):
# the suffixed env shares its venv with the plain one and has its own results row.
DEEP_BASES = (
    "py27-django18-ws4redis04",
    "py36-django111-ws4redis05",
    "py37-django22-ws4redis06",
    "py38-django30-channels2",
    "py39-django32-channels3",
    "py311-django42-channels4",
)
# Main's modern ws4redis and Channels envs, with the per-server checks (the real
# browser among them) in every server × layer mode.
BROWSER_BASES = ("py37-django22-ws4redis06", "py311-django42-channels4")


def _with_suite(names: tuple[str, ...], suite: str) -> tuple[str, ...]:
    specs = [parse_env_name(name) for name in names]
    return tuple(env_name(s.python, s.django, s.release_key, s.variant, suite) for s in specs)


# Defined after "full": a suite re-runs envs of the matrix, it adds none.
LABELS["deep"] = _with_suite(DEEP_BASES, "deep")
# The same envs with scripted clients that offer permessage-deflate as browsers do
# (suite "deflate"): the compressed path, wherever a server accepts it.
LABELS["deflate"] = _with_suite(BROWSER_BASES, "deflate")
LABELS["browser"] = _with_suite(BROWSER_BASES, "browser") + LABELS["deflate"]
# Labels whose tox run ends with the report env.
REPORTED_LABELS = ("main", "deep", "browser", "deflate", "latest")


def wide_env_names() -> list[str]:
    """Every release line on its own (each minor line of Channels 2 and 4, Channels
    3.0, each ws4redis line): every (Python, Django) pair it declares."""
    names = []
    for key, release in STACK_RELEASES.items():
        if len(release.releases) != 1:
            continue  # a major: its rows are full's
        for python, django in sorted(declared_cells(key), key=lambda cell: (cell[1], cell[0])):
            names.append(env_name(python, django, key))
    return names


# Each line's declared rows, one release each: what the majors of `full` resolve
# between, run on its own (harness/matrix/lines.py).
LABELS["wide"] = tuple(wide_env_names())
# The `channels` and `ws4redis` envs with the newest releases instead of the lock's
# (the weekly workflow runs them beside `full`; the report's "Newer releases" table
# names what moved and which verdicts changed).
LATEST_BASES = LABELS["ws4redis"] + LABELS["channels"]
LABELS["latest"] = tuple(
    env_name(s.python, s.django, s.release_key, s.variant, latest=True) for s in map(parse_env_name, LATEST_BASES)
)
