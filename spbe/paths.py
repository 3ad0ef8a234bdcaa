"""Where the shipped configuration lives; `SPBE_CONFIG_DIR` (read by spbe.settings) points elsewhere."""

from __future__ import annotations

from pathlib import Path

from spbe.settings import PROJECT_ROOT, get_settings

__all__ = ["PROJECT_ROOT", "config_dir", "default_cycle_file", "frameworks_dir"]


def config_dir() -> Path:
    return get_settings().config_dir


def frameworks_dir() -> Path:
    return config_dir() / "frameworks"


def default_cycle_file() -> Path:
    return get_settings().cycle_file
