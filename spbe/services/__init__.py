"""Domain operations over the store: plain functions with keyword-only arguments, no transport, no Prefect."""
