"""Running the real `spbe` command as a user would: a separate process, its exit code and output."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SPBE = Path(sys.executable).parent / "spbe"


@dataclass
class Result:
    code: int
    out: str
    err: str


ACTOR = "koordinator"  # who a test acts as unless it says otherwise (SPBE_ACTOR or --as): every door checks


def run_spbe(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120) -> Result:
    full_env = {"SPBE_ACTOR": ACTOR, **os.environ, **(env or {})}
    proc = subprocess.run([str(SPBE), *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)
