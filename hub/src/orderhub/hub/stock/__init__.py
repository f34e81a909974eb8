"""Stock per item and location, and the movements ledger."""
