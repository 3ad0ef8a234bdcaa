"""Tables of the reminders feature (ledger, outbox, leases). Migration: versions/0002_reminders.py."""
