"""The chat project's database: a template migrated and loaded with the fixtures
once per recipe, and a private copy of it for each server.

The template's file name carries a hash of its recipe (venv, settings, project
sources, fixtures), and it is built in a temporary file and renamed, so runs of
one env that start together never see half a database, and runs with different
recipes never share one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from harness.errors import SetupError
from harness.sut.config import ChatConfig
from harness.sut.logs import last_error_line
from harness.sut.procs import run_command
from harness.sut.venv import SutEnv

MIGRATE_TIMEOUT = 180.0


def template_database(config: ChatConfig, sut: SutEnv, work_dir: Path, log_dir: Path) -> tuple[Path, float, bool]:
    """The migrated and loaded template for this recipe: (path, seconds spent, reused)."""
    recipe = json.dumps(_database_recipe(config, sut), sort_keys=True)
    template = work_dir / f"template-{hashlib.sha256(recipe.encode()).hexdigest()[:12]}.sqlite3"
    if template.is_file():
        return template, 0.0, True
    handle, building = tempfile.mkstemp(prefix=".template-", suffix=".sqlite3", dir=work_dir)
    os.close(handle)
    os.unlink(building)  # migrate creates it
    env = config.environment(sut, Path(building))
    started = time.monotonic()
    loaddata = ["loaddata", *map(str, config.stack.fixtures)]
    try:
        for step, args in (("migrate", ["migrate", "--noinput"]), ("loaddata", loaddata)):
            outcome = run_command(
                [str(sut.python), "manage.py", *args],
                timeout=MIGRATE_TIMEOUT,
                cwd=config.stack.project_dir,
                env=env,
                log_path=log_dir / f"{step}.log",
            )
            if not outcome.ok:
                reason = "timed out" if outcome.returncode is None else last_error_line(outcome.output)
                raise SetupError(f"manage.py {step} failed: {reason}")
        os.replace(building, template)
    finally:
        Path(building).unlink(missing_ok=True)
    return template, time.monotonic() - started, False


def _database_recipe(config: ChatConfig, sut: SutEnv) -> dict[str, object]:
    """Everything a migrated database depends on."""
    digest = hashlib.sha256()
    sources = [config.stack.project_dir, *config.options.extra_pythonpath, *config.stack.fixtures]
    for source in sources:
        files = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in files:
            if path.suffix in (".py", ".json") and path.is_file():
                digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    return {
        "venv": sut.recipe,
        "settings": config.options.settings_module,
        "fast_password_hasher": config.options.fast_password_hasher,
        "sources": digest.hexdigest(),
    }


def fresh_copy(template_db: Path, target: Path) -> Path:
    """Each server mode gets its own copy of the migrated database."""
    shutil.copyfile(template_db, target)
    return target
