"""Prefect tasks: the units of work inside the phase flows, thin wrappers over spbe.services."""

from spbe.prefect_env import apply_defaults

apply_defaults()
