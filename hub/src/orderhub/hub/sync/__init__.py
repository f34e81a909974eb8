"""Keeping connections in sync: the inbox (what came in), the outbox (what must go out)."""
