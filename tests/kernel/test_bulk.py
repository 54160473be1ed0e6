"""`fundmgr.core.bulk`: rows written in one statement read back exactly as `save()` would write them.

On PostgreSQL `rows_insert` and `rows_update` send one array per column, whose text the module
writes itself (quotes, backslashes, braces, NULL-looking words, JSON, dates): the round trip is
what these tests pin. On SQLite they are `bulk_create` and `bulk_update`.
"""

import pytest

from fundmgr.audit.models import AuditEvent
from fundmgr.core.bulk import rows_insert, rows_update
from fundmgr.ledger.models import Account

TRICKY = ['a"b', "c\\d", "e'f", "{x,y}", "NULL", "", " spaced ", "Ủng hộ – 500.000 ₫", 'q\\"', "new\nline", "tab\t"]


@pytest.mark.django_db
def test_rows_insert_writes_every_value_and_gives_the_ids_in_order():
    events = [
        AuditEvent(
            action=AuditEvent.Action.CREATE, model_label="tests.thing", object_id=str(index), actor_label=text,
            request_id=text[:64], before={"text": text, "none": None, "list": [1, text]},
            after=None if index % 2 else {"text": text}, ip="10.0.0.1" if index % 3 else None,
        )
        for index, text in enumerate(TRICKY)
    ]
    assert rows_insert(events) is not None
    ids = [event.pk for event in events]
    assert None not in ids and ids == sorted(ids)
    stored = AuditEvent.objects.in_bulk(ids)
    for event in events:
        row = stored[event.pk]
        assert not event._state.adding
        assert (row.actor_label, row.request_id, row.before, row.after, row.ip, row.occurred_at) == (
            event.actor_label, event.request_id, event.before, event.after, event.ip, event.occurred_at
        )
        # The database default comes back, as bulk_create reads it back.
        assert row.transaction_id == event.transaction_id


@pytest.mark.django_db
def test_rows_insert_can_skip_the_rows_that_exist():
    rows_insert([Account(code="T901", name="first", kind=Account.Kind.ASSET, normal_side=Account.Side.DEBIT)])
    rows_insert([
        Account(code="T901", name="again", kind=Account.Kind.ASSET, normal_side=Account.Side.DEBIT),
        Account(code="T902", name="second", kind=Account.Kind.INCOME, normal_side=Account.Side.CREDIT),
    ], ignore_conflicts=True)
    assert dict(Account.objects.filter(code__startswith="T9").values_list("code", "name")) == {
        "T901": "first", "T902": "second",
    }


@pytest.mark.django_db
def test_rows_update_writes_each_row_its_own_values():
    accounts = rows_insert([
        Account(code=f"T9{index:02d}", name="x", kind=Account.Kind.ASSET, normal_side=Account.Side.DEBIT)
        for index in range(len(TRICKY))
    ])
    for account, text in zip(accounts, TRICKY, strict=True):
        account.name = text
    assert rows_update(accounts, ["name"]) == len(TRICKY)
    assert dict(Account.objects.filter(pk__in=[account.pk for account in accounts]).values_list("code", "name")) == {
        account.code: text for account, text in zip(accounts, TRICKY, strict=True)
    }


@pytest.mark.django_db
def test_a_value_longer_than_its_column_is_refused_not_cut():
    """As `save()` and `bulk_create` refuse it (PostgreSQL's "value too long"): an array cast to
    `varchar(n)[]` would cut it to n characters without a word. (SQLite does not check lengths.)"""
    from django.db import DataError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a text of any length in a varchar column")
    too_long = "x" * 65  # AuditEvent.request_id is varchar(64)
    event = AuditEvent(action=AuditEvent.Action.CREATE, model_label="tests.thing", object_id="1", request_id=too_long)
    with pytest.raises(DataError), transaction.atomic():
        rows_insert([event])
    account = rows_insert([Account(code="T990", name="x", kind=Account.Kind.ASSET, normal_side=Account.Side.DEBIT)])[0]
    account.name = "y" * 201
    with pytest.raises(DataError), transaction.atomic():
        rows_update([account], ["name"])
    assert Account.objects.get(pk=account.pk).name == "x"


def _row(model, pk, *, skip=("id",)):
    """Every column of the stored row but `skip`, as the ORM reads it back."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname not in skip]
    return model.objects.filter(pk=pk).values(*names).get()


@pytest.mark.django_db
def test_row_insert_writes_the_row_create_writes():
    """`row_insert` (one INSERT whose text is made once, on PostgreSQL) against `create()` (the ORM's
    save): the same columns stored, every default and `pre_save` included, the instance in the
    same state. On SQLite both are `save()`."""
    import datetime

    from django.utils import timezone

    from campaigns.models import Campaign
    from donations.models import Donor, Pledge, PledgeEmail, PledgeInstallment
    from fundmgr.core.bulk import row_insert
    from fundmgr.ledger.models import Fund
    from fundmgr.orgs.models import OrgUnit

    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học", unit=unit)
    campaign = Campaign.objects.create(
        name="Tết", slug="tet", unit=unit, lunar_year=2026, reference_prefix="TKH26", default_fund=fund,
        starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 3, 1), goal=1_000_000, bank_bin="970436",
        bank_name="Vietcombank", bank_account_number="0123456789", bank_account_name="HOI KHUYEN HOC",
    )
    now = timezone.now()
    donor_fields = {
        "unit": unit, "kind": Donor.Kind.BUSINESS, "name": 'Công ty "Hồng Phát" \\ {x}', "name_normalized": "cong ty",
        "email": "a@b.vn", "phone": "", "tax_code": "0101", "address": "NULL", "honor_roll_consent": True,
        "honor_roll_consent_at": now, "email_consent": False, "email_consent_at": None,
    }
    made, created = row_insert(Donor(**donor_fields)), Donor.objects.create(**donor_fields)
    assert made.pk is not None and made.pk != created.pk and not made._state.adding and made._state.db == "default"
    assert _row(Donor, made.pk, skip=("id", "created_at")) == _row(Donor, created.pk, skip=("id", "created_at"))
    assert made.created_at is not None and made.created_at == _row(Donor, made.pk)["created_at"]  # auto_now_add

    def pledge_fields(reference, donor):
        return {
            "reference": reference, "donor": donor, "suggested_donor": None, "campaign": campaign, "fund": fund,
            "amount": 2_000_000, "channel": Pledge.Channel.API, "anonymous": False, "list_on_honor_roll": True,
            "message": "Chúc các em\nhọc giỏi", "idempotency_key": None, "created_by": None,
            "contact_name": donor.name, "contact_email": "a@b.vn", "contact_phone": "", "contact_tax_code": "0101",
            "contact_address": "NULL", "confirmed_at": now, "confirmed_by": None,
        }

    pledge = row_insert(Pledge(**pledge_fields("TKH26-AAAAA", made)))
    other = Pledge.objects.create(**pledge_fields("TKH26-BBBBB", made))
    assert _row(Pledge, pledge.pk, skip=("id", "reference", "created_at")) == _row(
        Pledge, other.pk, skip=("id", "reference", "created_at"))
    assert pledge.created_at is not None  # its default, as save() fills it

    email = row_insert(PledgeEmail(pledge=pledge, kind=PledgeEmail.Kind.CONFIRMATION, installment=None))
    other_email = PledgeEmail.objects.create(pledge=other, kind=PledgeEmail.Kind.CONFIRMATION, installment=None)
    skip = ("id", "pledge_id", "created_at", "updated_at")
    assert _row(PledgeEmail, email.pk, skip=skip) == _row(PledgeEmail, other_email.pk, skip=skip)

    # One row through rows_insert (its VALUES path) as bulk_create writes it.
    day = datetime.date(2026, 2, 1)
    (one,) = rows_insert([PledgeInstallment(pledge=pledge, number=1, due_on=day, amount=2_000_000)])
    (two,) = PledgeInstallment.objects.bulk_create([PledgeInstallment(pledge=other, number=1, due_on=day, amount=2_000_000)])
    assert one.pk is not None and not one._state.adding
    skip = ("id", "pledge_id")
    assert _row(PledgeInstallment, one.pk, skip=skip) == _row(PledgeInstallment, two.pk, skip=skip)


@pytest.mark.django_db
def test_one_row_with_a_database_default_takes_the_general_path():
    """An audit row's transaction id is the database's default: one row through `rows_insert`
    still leaves it to the database and reads it back."""
    (event,) = rows_insert([AuditEvent(action=AuditEvent.Action.CREATE, model_label="tests.thing", object_id="1")])
    from django.db import connection

    assert event.pk is not None
    assert AuditEvent.objects.get(pk=event.pk).transaction_id == event.transaction_id
    if connection.vendor == "postgresql":
        assert event.transaction_id is not None
