"""Members and their ledger: append-only entries, FIFO lots and expiry, redemptions that never overspend."""
