"""Copy each `campaigns.PledgeNotice` (the confirmation e-mail of a pledge) into a `PledgeEmail`
of kind confirmation, before `campaigns/0003` deletes that model.

A sent notice becomes a sent row; an unsent one a pending row whose lease (if any) is kept, so
the task that may still be retrying it behaves as before. On a fresh database there is nothing
to copy. Reversed, the confirmation rows are copied back.
"""

from django.db import migrations


def copy_notices(apps, schema_editor):
    PledgeNotice = apps.get_model("campaigns", "PledgeNotice")
    PledgeEmail = apps.get_model("donations", "PledgeEmail")
    known = set(PledgeEmail.objects.filter(kind="confirmation").values_list("pledge_id", flat=True))
    rows = []
    for notice in PledgeNotice.objects.order_by("pk").iterator():
        if notice.pledge_id in known:
            continue
        rows.append(PledgeEmail(
            pledge_id=notice.pledge_id, kind="confirmation", installment=None,
            status="sent" if notice.sent_at else "sending" if notice.claimed_at else "pending",
            attempts=notice.attempts, claimed_at=notice.claimed_at, sent_at=notice.sent_at,
            recipient=notice.recipient,
        ))
    PledgeEmail.objects.bulk_create(rows, batch_size=1000)


def copy_back(apps, schema_editor):
    PledgeNotice = apps.get_model("campaigns", "PledgeNotice")
    PledgeEmail = apps.get_model("donations", "PledgeEmail")
    known = set(PledgeNotice.objects.values_list("pledge_id", flat=True))
    PledgeNotice.objects.bulk_create(
        [
            PledgeNotice(
                pledge_id=email.pledge_id, attempts=email.attempts, claimed_at=email.claimed_at,
                sent_at=email.sent_at, recipient=email.recipient,
            )
            for email in PledgeEmail.objects.filter(kind="confirmation").order_by("pk").iterator()
            if email.pledge_id not in known
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0004_pledge_email"),
        ("campaigns", "0002_pledge_notice"),
    ]

    operations = [migrations.RunPython(copy_notices, copy_back)]
