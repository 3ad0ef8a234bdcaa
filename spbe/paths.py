"""Where the shipped configuration lives; `SPBE_CONFIG_DIR` points elsewhere without editing code."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    return Path(os.environ.get("SPBE_CONFIG_DIR") or PROJECT_ROOT / "config")


def frameworks_dir() -> Path:
    return config_dir() / "frameworks"


def default_cycle_file() -> Path:
    return Path(os.environ.get("SPBE_CYCLE_CONFIG") or config_dir() / "pekalongan-2025.toml")
