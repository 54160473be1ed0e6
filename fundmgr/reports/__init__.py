"""Reports: runs of the exporters of the registry (`fundmgr.core.exporting`), their jobs and files.

The features register their exporters in the kernel's registry; this app runs them: a `ReportRun`
row per request (a job of the outbox), the Celery task that writes its file, the admin's "Báo
cáo" page with the downloads, and `manage.py report`. It reads everything and writes only report
files and their rows; no feature imports it (`lint-imports` holds it).
"""
