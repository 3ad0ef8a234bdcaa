"""Delivery channels: small adapters with one shape (`Channel`), picked per recipient with a fallback order.

Each channel turns one `Outgoing` message into one delivery attempt and says how it went (`Outcome`):
delivered, worth retrying (timeouts, 429, 5xx, dropped connections), or refused for good. Secrets
(tokens, passwords) are read from the environment (or a Prefect Secret block) when the channel is built,
held only in memory, and scrubbed from every error text by a `Redactor`.

The shared types live in `spbe.channels.base`, the implementations in one module each, and
`spbe.channels.registry.build_channels` builds the configured ones.
"""
