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


# --- instance_new: the constructor's instance, built from a plan --------------------------------


def _built_both_ways(model, make_values):
    """`model(**values)` and `instance_new(model, **values)`, each from its own fresh related instances
    (the constructor changes their state: database, a one-to-one's reverse cache)."""
    from fundmgr.core.bulk import instance_new

    first_values, second_values = make_values(), make_values()
    return model(**first_values), first_values, instance_new(model, **second_values), second_values


def _attributes(instance, clock_fields=()):
    """The instance's attributes, the values of clock defaults (`timezone.now`) by type only."""
    return {
        name: type(value) if name in clock_fields else value
        for name, value in vars(instance).items() if name != "_state"
    }


def _same_instance(built, fast, *, clock_fields=()):
    assert type(fast) is type(built)
    assert _attributes(fast, clock_fields) == _attributes(built, clock_fields)
    assert (fast._state.db, fast._state.adding) == (built._state.db, built._state.adding)
    # The same related instances cached, under the same names (each from its own call's values).
    assert {name: type(value) for name, value in fast._state.fields_cache.items()} == {
        name: type(value) for name, value in built._state.fields_cache.items()
    }


@pytest.mark.parametrize("saved", [True, False], ids=["saved related rows", "unsaved related rows"])
def test_instance_new_builds_what_the_constructor_builds(saved):
    """Every model the bank import builds in bulk, with related instances and ids, saved or not."""
    import datetime

    from django.contrib.auth import get_user_model

    from donations.models import BankStatementImport, BankStatementLine, Donor, Payment, Pledge
    from fundmgr.ledger.models import Fund, JournalEntry, JournalLine
    from fundmgr.orgs.models import OrgUnit
    from receipts.models import Receipt, ReceiptDelivery

    def row(model, pk, **values):
        instance = model(pk=pk, **values)
        if saved:
            instance._state.adding, instance._state.db = False, "default"
        return instance

    def payment_values():
        unit = row(OrgUnit, 3, name="Xã A", code="XA")
        return {
            "donor": row(Donor, 5, name="Bà B"), "pledge": row(Pledge, 7), "fund": row(Fund, 11, code="QKH"),
            "unit": unit, "amount": 500_000, "method": Payment.Method.BANK_TRANSFER, "in_kind_description": "",
            "received_on": datetime.date(2026, 2, 1), "bank_reference": "5213.1", "recorded_by": None,
            "overpayment_reason": "",
        }

    built, built_values, fast, fast_values = _built_both_ways(Payment, payment_values)
    _same_instance(built, fast)
    assert fast.donor is fast_values["donor"] and fast.unit_id == 3 and fast.recorded_by is None
    assert fast_values["donor"]._state.db == built_values["donor"]._state.db == "default"

    def receipt_values():
        payment = row(Payment, 13, amount=500_000)
        return {"unit": row(OrgUnit, 3), "year": 2026, "sequence": 4, "number": "4/2026", "payment": payment,
                "receipt_date": datetime.date(2026, 2, 1), "issued_by": None, "amount": 500_000}

    built, built_values, fast, fast_values = _built_both_ways(Receipt, receipt_values)
    _same_instance(built, fast, clock_fields={"issued_at"})
    # A one-to-one: the payment caches its receipt, as the constructor leaves it.
    assert fast_values["payment"].receipt is fast
    assert built_values["payment"].receipt is built

    for model, make_values in [
        (ReceiptDelivery, lambda: {"receipt": row(Receipt, 17), "channel": ReceiptDelivery.Channel.PDF}),
        (JournalEntry, lambda: {"unit": row(OrgUnit, 3), "date": datetime.date(2026, 2, 1), "memo": "Thu",
                                "source_type_id": 9, "source_id": "13", "reverses": None, "created_by": None,
                                "previous_hash": "0" * 64, "hash": "1" * 64}),
        (JournalLine, lambda: {"entry": JournalEntry(), "account_id": 2, "fund": row(Fund, 11), "debit": 500_000,
                               "credit": 0}),
        (AuditEvent, lambda: {"actor": row(get_user_model(), 19), "actor_label": "thu_quy", "ip": None,
                              "action": AuditEvent.Action.CREATE, "model_label": "donations.payment",
                              "object_id": "13", "before": None, "after": {"amount": 500_000},
                              "request_id": "r1", "unit_id": 3}),
        (BankStatementLine, lambda: {"statement": row(BankStatementImport, 23), "line_number": 1,
                                     "transaction_date": datetime.date(2026, 2, 1), "amount": 500_000,
                                     "memo": "ung ho", "counterparty": "", "bank_reference": "5213.1"}),
    ]:
        built, _values, fast, _values = _built_both_ways(model, make_values)
        _same_instance(built, fast, clock_fields={"occurred_at", "created_at", "updated_at", "issued_at"})


def test_instance_new_refuses_what_the_constructor_refuses():
    from donations.models import Donor, Payment
    from fundmgr.core.bulk import instance_new
    from fundmgr.orgs.models import OrgUnit

    with pytest.raises(ValueError, match="must be a \"Donor\" instance"):
        instance_new(Payment, donor=OrgUnit(pk=1))
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'colour'"):
        instance_new(Payment, colour="red")
    unit, donor = OrgUnit(pk=1), Donor(pk=2)
    unit._state.db, donor._state.db = "default", "elsewhere"
    with pytest.raises(ValueError, match="router prevents this relation"):
        instance_new(Payment, unit=unit, donor=donor)


@pytest.mark.django_db
def test_rows_insert_writes_what_bulk_create_writes():
    """Choices (str subclasses), aware datetimes, a foreign key given as an instance or None (an
    integer column with NULLs), JSON: what `rows_insert` writes reads back as `bulk_create`'s."""
    import datetime

    from django.utils import timezone

    from fundmgr.orgs.models import OrgUnit

    unit = OrgUnit.objects.create(name="Xã A", code="XA", kind=OrgUnit.Kind.PROVINCE)
    moment = timezone.now() - datetime.timedelta(days=1)

    def events(tag):
        return [
            AuditEvent(action=action, model_label=f"tests.{tag}", object_id=str(index), unit=unit if index % 2 else None,
                       occurred_at=moment + datetime.timedelta(seconds=index), after={"n": index, "tag": tag})
            for index, action in enumerate([AuditEvent.Action.CREATE, AuditEvent.Action.CHANGE, "transition"])
        ]

    rows_insert(events("fast"))
    AuditEvent.objects.bulk_create(events("slow"))

    def stored(tag):
        return [
            {**row, "after": {**row["after"], "tag": None}}
            for row in AuditEvent.objects.filter(model_label=f"tests.{tag}").order_by("pk")
            .values("action", "object_id", "unit_id", "occurred_at", "after", "source", "actor_label")
        ]

    assert stored("fast") == stored("slow") and len(stored("fast")) == 3


@pytest.mark.django_db
def test_rows_insert_takes_a_related_row_given_as_a_lazy_object(django_user_model):
    """The request's user is a `SimpleLazyObject`: its id is read through it, as `save()` reads it."""
    from django.utils.functional import SimpleLazyObject

    user = django_user_model.objects.create_user(username="thu_quy_lazy", password="x")
    lazy = SimpleLazyObject(lambda: django_user_model.objects.get(pk=user.pk))
    events = rows_insert([
        AuditEvent(action=AuditEvent.Action.CREATE, model_label="tests.lazy", actor=lazy, object_id=str(index))
        for index in range(2)
    ])
    assert list(AuditEvent.objects.filter(pk__in=[event.pk for event in events]).values_list("actor_id", flat=True)) == [
        user.pk, user.pk,
    ]
