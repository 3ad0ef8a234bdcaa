"""The demo: the whole 2025 year for Kota Pekalongan on a simulated clock, every action a flow run."""
