"""Read-only commands never import Prefect nor alembic's runtime: they start in a fraction of a second.
(How fast is bench/commands.py's business; this only checks what they load.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.utils.cli import ACTOR, run_spbe

ROOT = Path(__file__).resolve().parents[3]
PROBE = """
import sys
from spbe.cli.main import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
heavy = sorted({m for m in sys.modules if m.split('.')[0] == 'prefect' or m.startswith('alembic.runtime')})
heavy = sorted({m.split('.')[0] for m in heavy})
print('LOADED=' + ','.join(heavy))
"""


def test_status_timeline_audit_score_and_plan_load_no_prefect(tmp_path: Path):
    import os

    env = {
        **os.environ,
        "SPBE_ACTOR": ACTOR,
        "SPBE_DATA_DIR": str(tmp_path / "data"),
        "SPBE_NOW": "2025-06-10T09:00:00+07:00",
        "PREFECT_API_URL": "",
    }
    assert run_spbe("init", env=env).code == 0
    levels = ROOT / "config" / "examples" / "levels-example.csv"
    commands = (["status"], ["timeline"], ["audit"], ["score", "--levels", str(levels)], ["plan"], ["status", "--json"])
    for args in commands:
        proc = subprocess.run(
            [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
        )
        loaded = [line for line in proc.stdout.splitlines() if line.startswith("LOADED=")]
        assert loaded == ["LOADED="], (args, proc.stdout[-500:], proc.stderr[-500:])
    assert json.loads(run_spbe("status", "--json", env=env).out)["phases"]
