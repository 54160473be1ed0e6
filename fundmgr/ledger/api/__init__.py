"""The ledger's REST resources: funds with balances, journal entries (read-only), transfers between funds."""
