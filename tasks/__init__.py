"""Prefect tasks: the units of work inside the phase flows, thin wrappers over spbe.services."""
