"""The site's defences that are not one feature's: two-factor log-in, log-in lock-out, request-size
limits, rate limits, least-privilege database roles and formula-safe spreadsheet cells."""
