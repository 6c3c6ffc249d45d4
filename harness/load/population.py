"""Generated load users: N users and their group memberships, added to a chat
server's database before a load run.

The population is a pure function of (N, group size), so the driver that fills
the database and every Locust process that logs in agree on names and
memberships without exchanging a file.  Names never clash with the fixture
users (admin, john, mary) nor with the fixture group (chatusers).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from harness.errors import BadInput, SetupError
from harness.fixtures import USERS
from harness.sut.config import ChatConfig
from harness.sut.logs import last_error_line
from harness.sut.procs import run_command
from harness.sut.venv import SutEnv

USER_PREFIX = "load"
GROUP_PREFIX = "loadgroup"
DEFAULT_GROUP_SIZE = 10
ADD_TIMEOUT = 300.0
MAX_USERS = 100_000

# Runs in the SUT venv (Python 2.7 to 3.13, Django 1.8 to 5.x): no f-strings.
# One password hash for everybody: hashing N times would cost minutes.
_ADD_USERS_SCRIPT = """
import json, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
spec = json.load(open(sys.argv[1]))
User = get_user_model()
clash = set(spec["reserved"]) & set(spec["users"])
if clash:
    sys.exit("load user names clash with fixture users: %s" % sorted(clash))
password = make_password(spec["password"])
with transaction.atomic():
    groups = dict((name, Group.objects.get_or_create(name=name)[0].pk) for name in spec["groups"])
    User.objects.filter(username__in=spec["users"]).delete()
    User.objects.bulk_create([User(username=name, password=password, is_active=True) for name in spec["users"]])
    ids = dict(User.objects.filter(username__in=spec["users"]).values_list("username", "pk"))
    Through = User.groups.through
    Through.objects.bulk_create([
        Through(user_id=ids[name], group_id=groups[group])
        for name, member_of in spec["memberships"].items() for group in member_of
    ])
sys.stdout.write("added %d load users in %d groups\\n" % (len(ids), len(groups)))
"""


@dataclass(frozen=True)
class LoadPopulation:
    """N users ``load0001``.. and groups ``loadgroup01``.. of about ``group_size`` members."""

    count: int
    group_size: int = DEFAULT_GROUP_SIZE

    def __post_init__(self) -> None:
        if not 1 <= self.count <= MAX_USERS:
            raise BadInput(f"load users must be between 1 and {MAX_USERS}, got {self.count}")
        if self.group_size < 1:
            raise BadInput(f"group size must be at least 1, got {self.group_size}")

    @property
    def group_count(self) -> int:
        return math.ceil(self.count / self.group_size)

    @cached_property
    def users(self) -> tuple[str, ...]:
        width = max(4, len(str(self.count)))
        return tuple(f"{USER_PREFIX}{i:0{width}d}" for i in range(1, self.count + 1))

    @cached_property
    def groups(self) -> tuple[str, ...]:
        width = max(2, len(str(self.group_count)))
        return tuple(f"{GROUP_PREFIX}{i:0{width}d}" for i in range(1, self.group_count + 1))

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.users)}

    def groups_of(self, username: str) -> frozenset[str]:
        index = self._index[username]
        return frozenset({self.groups[index % self.group_count]})

    def user(self, serial: int) -> str:
        """The ``serial``-th user of a Locust process (wraps around the pool)."""
        return self.users[serial % self.count]

    def spec(self, password: str) -> dict[str, object]:
        return {
            "users": list(self.users),
            "groups": list(self.groups),
            "memberships": {name: sorted(self.groups_of(name)) for name in self.users},
            "reserved": list(USERS),
            "password": password,
        }


def add_load_users(
    config: ChatConfig, sut: SutEnv, db_path: Path, population: LoadPopulation, log_dir: Path, password: str
) -> float:
    """Add the population to the chat database at ``db_path``; returns seconds spent."""
    spec_path = db_path.with_suffix(".users.json")  # beside this run's own database
    spec_path.write_text(json.dumps(population.spec(password)), encoding="utf-8")
    outcome = run_command(
        [str(sut.python), "-c", _ADD_USERS_SCRIPT, str(spec_path)],
        timeout=ADD_TIMEOUT,
        cwd=config.stack.project_dir,
        env=config.environment(sut, db_path),
        log_path=log_dir / "load-users.log",
    )
    if not outcome.ok:
        reason = "timed out" if outcome.returncode is None else last_error_line(outcome.output)
        raise SetupError(f"adding load users failed: {reason}")
    return outcome.seconds
