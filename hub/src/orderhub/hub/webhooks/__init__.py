"""Webhook intake: verify, store in the inbox, answer at once."""
