"""The kernel: rules that hold everywhere and know no app of this project.

money (VND parsing, limits, formatting, amounts in words), lunar (Tết dates at UTC+7), contacts
(names, phone numbers, e-mail addresses, tax codes), dates (document dates), vietqr (the transfer
memo and QR code), tabular (reading an uploaded CSV or XLSX file), numbering (gap-free counters),
outbox (jobs that must not be lost), beat (schedules added by migrations), append_only (rows never
changed or deleted), charts (server-side SVG charts). `lint-imports` holds it pure: nothing here
imports `fundmgr.orgs`, `fundmgr.ledger` or a feature app.
"""
