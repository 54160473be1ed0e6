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
