"""Prefect flows, one module per phase. Importing the package applies the tool's Prefect defaults first."""

from spbe.prefect_env import apply_defaults

apply_defaults()
