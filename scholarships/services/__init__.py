"""Every write of the scholarships app, one module per use case.

- `students`: student records, the log of who looked at a child's data, exports, anonymisation;
- `student_import`: students from a school's file;
- `awards`: programs, nominations, allocation runs, the committee's decisions, disbursements and
  their reversal (imported as `from scholarships.services import awards`);
- `papers`: the voucher (phiếu chi), the signature list and the award certificates as PDF, for a reader, logged
  (imported as `from scholarships.services import papers`);
- `transfers`: awards paid by bank transfer in batches: the bank's file and its result
  (imported as `from scholarships.services import transfers`).

The student services are re-exported here: `from scholarships import services`.
"""

from .student_import import (  # noqa: F401
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    StudentImportResult,
    students_import,
)
from .students import (  # noqa: F401
    AUDITED_FIELDS,
    EDITABLE_FIELDS,
    report_views_recorder,
    retention_cutoff,
    student_anonymise,
    student_clean,
    student_create,
    student_update,
    student_views_record,
    students_anonymise_expired,
    students_export,
)
