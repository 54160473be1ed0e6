"""Every write of the donations app: donors, pledges, payments, bank-statement imports.

Each function takes keyword arguments only and runs in one database transaction. Refusals are
`django.core.exceptions.ValidationError` with Vietnamese messages (English in the catalogue),
keyed by field where a field is at fault, and nothing is written when one is raised.

Each create, change and state transition writes its audit row (`fundmgr.audit.services`) in that
same transaction, with the changed fields before and after (contacts masked); the actor is the
function's `by` / `created_by` / `recorded_by`, else the user of the request.

Who may write: each service checks, itself, that every record it touches lies in the actor's units
(`fundmgr.orgs.access.access_units`); callers do not repeat it. The public form is anonymous: it
creates a pledge and a donor record of its own, and never changes an existing donor.

Idempotency of `pledge_create` and `payment_record`: the public form, the admin, the API and
retried imports may send the same request twice, also at the same moment. The key is scoped to
the channel and unit that made it, and remembered with a fingerprint of the request
(`fundmgr.idempotency`): a repeat answers the first record, the same key with another body is
refused. The key's row is inserted first, so the loser of a race waits on the winner's row.
"""

# One module per use case; their public names are re-exported here, so callers write
# `from donations import services` and `services.payment_record(...)`. The bank-statement import
# (layouts, reading, matching, its use cases) is read as one module:
# `from donations.services import bank_statement`, `bank_statement.statement_upload(...)`.
from .donors import (  # noqa: F401
    DONOR_AUDIT_FIELDS,
    DONOR_CONTACT_FIELDS,
    donor_data_export_record,
    donor_fields_clean,
    donor_find_or_create,
    donor_merge,
    donor_suggestion,
    donor_update,
    email_normalize,
    tax_code_normalize,
)
from .honor_roll import honor_roll_removal_close, honor_roll_removal_request  # noqa: F401
from .payments import (  # noqa: F401
    PAYMENT_AUDIT_FIELDS,
    PAYMENT_VOID_FIELDS,
    PledgePayment,
    PledgePaymentBatch,
    payment_record,
    payment_void,
    pledge_status_refresh,
)
from .pledge_emails import (  # noqa: F401
    OPEN_PLEDGE_STATUSES,
    PLEDGE_EMAIL_ERROR_MAX_LENGTH,
    PLEDGE_EMAIL_LEASE,
    PledgeEmailBusy,
    PledgeRemindersResult,
    RemindNowResult,
    installment_amount_due,
    installments_to_remind,
    pledge_confirmation_send,
    pledge_email_mark_failed,
    pledge_email_send,
    pledge_remind_now,
    pledge_reminders_due,
)
from .pledge_import import (  # noqa: F401
    PLEDGE_IMPORT_COLUMNS,
    PledgeImportResult,
    pledges_import,
)
from .pledges import (  # noqa: F401
    CLOSED_STATUSES,
    MAX_INSTALLMENTS,
    PLEDGE_AUDIT_FIELDS,
    PLEDGE_CLOSE_FIELDS,
    PLEDGE_CONFIRM_FIELDS,
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    amount_errors,
    installment_schedule,
    pledge_cancel,
    pledge_confirm,
    pledge_create,
    pledge_donor_confirm,
    pledge_write_off,
    reference_generate,
)
from .voiding import receipt_void  # noqa: F401
