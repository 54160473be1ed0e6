"""Receipts voided before payments could be voided: mark their payments voided too, and set the
status of their open pledges from the payments left.

Before `donations.services.payment_void` existed, `receipt_void` reversed the payment's entry but
the payment still counted in its pledge's paid amount. This copies each voided receipt's reason,
who, when and reversal onto its payment, then recomputes the status of every pledge (not
cancelled or written off) that had such a payment, the way `pledge_status_refresh` does. It runs
without the services, so it writes no service audit row; on PostgreSQL the audit trigger records
each UPDATE. Running it again changes nothing.
"""

from django.db import migrations
from django.db.models import Sum


def void_payments(apps, schema_editor):
    Receipt = apps.get_model("receipts", "Receipt")
    Payment = apps.get_model("donations", "Payment")
    Pledge = apps.get_model("donations", "Pledge")
    pledge_ids = set()
    voided = Receipt.objects.filter(state="voided", payment__voided_at__isnull=True).select_related("payment")
    for receipt in voided.order_by("pk").iterator():
        payment = receipt.payment
        payment.voided_at = receipt.voided_at
        payment.void_reason = receipt.void_reason or "Hủy phiếu thu"
        payment.voided_by_id = receipt.voided_by_id
        payment.void_entry_id = receipt.void_entry_id
        payment.save(update_fields=["voided_at", "void_reason", "voided_by", "void_entry"])
        if payment.pledge_id is not None:
            pledge_ids.add(payment.pledge_id)
    for pledge in Pledge.objects.filter(pk__in=pledge_ids).exclude(status__in=["cancelled", "written_off"]):
        paid = (
            Payment.objects.filter(pledge_id=pledge.pk, voided_at__isnull=True).aggregate(total=Sum("amount"))["total"]
            or 0
        )
        status = "fulfilled" if paid >= pledge.amount else "partially_paid" if paid > 0 else "pledged"
        if status != pledge.status:
            pledge.status = status
            pledge.save(update_fields=["status"])


class Migration(migrations.Migration):
    dependencies = [
        ("receipts", "0003_requeue_schedule"),
        ("donations", "0003_payment_void"),
    ]

    operations = [migrations.RunPython(void_payments, migrations.RunPython.noop)]
