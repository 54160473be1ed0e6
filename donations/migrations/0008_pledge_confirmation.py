"""A pledge counts on public pages only once confirmed (`Pledge.confirmed_at`, `confirmed_by`).

Existing pledges that the association recorded itself (admin, API, import) are marked confirmed
as of their creation, by the person who created them. Pledges typed into the public form stay
unconfirmed: a treasurer confirms the real ones (`services.pledge_confirm`), and until then they
count in public only through the money received on them. Reversed, the two columns go away.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def confirm_pledges_not_from_the_public_form(apps, schema_editor):
    Pledge = apps.get_model("donations", "Pledge")
    Pledge.objects.exclude(channel="form").filter(confirmed_at__isnull=True).update(
        confirmed_at=models.F("created_at"), confirmed_by=models.F("created_by")
    )


class Migration(migrations.Migration):

    dependencies = [
        ("donations", "0007_pledge_typed_contacts_payment_overpayment"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="pledge",
            name="confirmed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="thời điểm xác nhận"),
        ),
        migrations.AddField(
            model_name="pledge",
            name="confirmed_by",
            field=models.ForeignKey(
                blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                to=settings.AUTH_USER_MODEL, verbose_name="người xác nhận",
            ),
        ),
        migrations.RunPython(confirm_pledges_not_from_the_public_form, migrations.RunPython.noop),
    ]
