"""The kernel: rules that hold everywhere and know no app of this project.

money (VND parsing, formatting, amounts in words), lunar (Tết dates at UTC+7), contacts (names,
phone numbers), dates (document dates), vietqr (the bank-transfer QR code). `lint-imports` holds it
pure: nothing here imports `fundmgr.orgs`, `fundmgr.ledger` or a feature app.
"""
