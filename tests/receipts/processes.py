"""Code that runs in the child processes of the concurrency tests.

A module of its own, importing nothing of Django at the top: a spawned child unpickles its
target by importing this module before Django is set up.
"""

import os


class Rollback(Exception):
    """Raised on purpose after the receipt was issued."""


def record_payments_in_child(db_name, media_root, ids, jobs, start, results, through_ledger=True):
    """Child process: record the payments of `jobs` [(index, roll back?)] and report each outcome."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fundmgr.settings")
    from django.conf import settings as child_settings

    child_settings.DATABASES["default"]["NAME"] = db_name  # the test database, before any connection
    child_settings.MEDIA_ROOT = media_root  # the test's folder: the receipts' PDFs, when rendered in-process
    import django

    django.setup()
    from django.db import connection as child_connection
    from django.db import transaction
    from django.utils import timezone

    from donations.models import Donor, Payment
    from donations.services import payment_record
    from fundmgr.ledger.models import Fund
    from fundmgr.orgs.models import OrgUnit
    from receipts import services as receipt_services
    from receipts.services import receipt_issue

    # Numbering is under test, not the PDF jobs: nothing goes to a broker from here.
    receipt_services.enqueue = lambda task, *args: True
    unit, fund, donor = OrgUnit.objects.get(pk=ids["unit"]), Fund.objects.get(pk=ids["fund"]), Donor.objects.get(pk=ids["donor"])
    day = timezone.localdate()
    try:
        start.wait(timeout=60)
        for index, roll_back in jobs:
            number = None
            try:
                with transaction.atomic():
                    if through_ledger:
                        payment = payment_record(
                            donor=donor, amount=1_000_000 + index, method="cash", received_on=day, unit=unit, fund=fund,
                        )
                    else:
                        # Without the ledger's posting (whose chain-head lock queues all payments
                        # anyway): only the receipt counter's lock keeps the numbers apart.
                        payment = Payment.objects.create(
                            donor=donor, amount=1_000_000 + index, method="cash", received_on=day, unit=unit, fund=fund,
                        )
                    # payment_record issued it already; issuing again returns that receipt.
                    number = receipt_issue(payment=payment).number
                    if roll_back:
                        raise Rollback
                results.put(("committed", index, number))
            except Rollback:
                results.put(("rolled back", index, number))
            except Exception as error:  # noqa: BLE001 - reported to the parent, which fails the test
                results.put(("error", index, repr(error)))
    finally:
        child_connection.close()
