"""Tables of the intake feature, beyond the core ones. Migration: versions/0003_intake.py."""
