"""Where the shipped configuration lives; `SPBE_CONFIG_DIR` (read by spbe.settings) points elsewhere."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    from spbe.settings import get_settings

    return get_settings().config_dir


def frameworks_dir() -> Path:
    return config_dir() / "frameworks"


def default_cycle_file() -> Path:
    from spbe.settings import get_settings

    return get_settings().cycle_file
