"""Reports: they read every app and write only report files.

The exporter registry, report runs and report jobs come here (DESIGN.md, "Reports"). The arrow
points one way: reports import the features' exporters, no feature imports reports
(`lint-imports` holds it). Until the registry exists, `export_ledger` writes the ledger export.
"""
