"""Re-record tests/data/results from real runs (then UPDATE_GOLDEN=1 pytest tests/test_report.py).

    python tests/data/refresh.py [--work-root DIR]

Each row of the golden report is a real run; some are recorded under another
env's name so that one report shows every kind of row (see README.md here).
Paths are shortened to ROOT/ so the files do not depend on the checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
BROKEN = ["--pythonpath", str(ROOT / "tests" / "broken_servers"), "--settings"]
TWO_CHANNELS_MODES = ["--server", "daphne+redis", "--server", "uvicorn+inmemory"]
WRONG_EXPECTATION = ["--expectations", str(HERE / "expectations.toml")]
DEAD_REDIS = {"REDIS_URL": "redis://127.0.0.1:1/0"}
UWSGI = ["--server", "uwsgi"]
# (recorded as, run as, harness run arguments, extra environment)
RUNS: list[tuple[str, str, list[str], dict[str, str]]] = [
    ("py27-django18-ws4redis04", "py27-django18-ws4redis04", [], {}),
    ("py27-django19-ws4redis04", "py27-django18-ws4redis04", WRONG_EXPECTATION, {}),
    ("py37-django22-ws4redis06", "py37-django22-ws4redis06", [*BROKEN, "leak_private_settings"], {}),
    ("py311-django42-ws4redis06", "py37-django22-ws4redis06", [*BROKEN, "crash_at_start_settings"], {}),
    ("py311-django42-channels4", "py311-django42-channels4", TWO_CHANNELS_MODES, {}),
    ("py32-django18-ws4redis04", "py32-django18-ws4redis04", [], {}),
    ("py310-django42-channels4", "py311-django42-channels4", [], DEAD_REDIS),
    ("py35-django19-ws4redis04", "py27-django18-ws4redis04", [*UWSGI, *BROKEN, "every_other_run_settings"], {}),
    ("py34-django19-ws4redis04", "py27-django18-ws4redis04", [*UWSGI, *BROKEN, "refuse_logins_settings"], {}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-root", default=str(ROOT / ".harness"))
    args = parser.parse_args()
    out = HERE / "results"
    for name, env, extra, environ in RUNS:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "harness", "run", env, "--results-dir", tmp, "--work-root", args.work_root]
            subprocess.run([*cmd, *extra], env=os.environ | environ, cwd=ROOT, check=False)
            text = (Path(tmp) / f"{env}.json").read_text(encoding="utf-8")
        text = text.replace(str(ROOT), "ROOT").replace(env, name)
        json.loads(text)  # still valid
        (out / f"{name}.json").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
