"""The admin of the scholarships app, one module per model: `students` (records, with personal data
guarded), and the scholarship pipeline: `programs`, `nominations`, `allocation_runs`, `awards`,
`disbursements`, `transfers` (bank-transfer batches; the awards' batch and certificate actions). Their forms are in `forms`, their shared filters and helpers in `common`.

The committee creates a program (funds with budgets, unit quotas, a rubric) and runs the
allocation; nominators nominate the students of their units; the committee approves or rejects
each proposed award; the treasurer pays an approved award (a voucher and its journal entry).
Every write is one call to `scholarships.services.awards`, and every refusal is the service's message.
Programs, runs, awards and payments are never edited or deleted here: they change only through
those actions. Lists name a child by the record's code (HS-000123), never by name: the code is
built from the id, so these lists do not even load a child's personal fields.
"""

from . import (  # noqa: F401  (registration is the effect)
    allocation_jobs,
    allocation_runs,
    awards,
    conflicts,
    disbursements,
    home,
    nominations,
    programs,
    students,
    transfers,
)
