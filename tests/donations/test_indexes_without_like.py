"""Unique columns and indexes without PostgreSQL's LIKE-prefix twins (issue #17, docs/performance.md).

`unique=True` or `db_index=True` on a text field makes Django add a second index with
`varchar_pattern_ops` on PostgreSQL, written on every insert and used only by `LIKE 'x%'`. Our
models declare them in `Meta` instead (`UniqueConstraint`, `Index`), except `OrgUnit.path`, whose
prefix queries ("this unit and all below it") are the twin's use. The uniqueness is validated
as before: the field's own "already exists" message, on the field, in forms and serializers.
"""

import pytest
from django.apps import apps
from django.db import connection, models
from django.forms import modelform_factory
from django.utils import translation
from rest_framework import serializers

from campaigns.models import Campaign
from fundmgr.ledger.models import Account, Fund
from fundmgr.orgs.models import OrgUnit
from scholarships.models import ScholarshipProgram
from tests.conftest import on_postgres

PREFIX_QUERIED = {("orgs", "orgunit", "path")}
PROJECT_PACKAGES = ("fundmgr", "donations", "campaigns", "receipts", "scholarships", "public")


def _project_models():
    return [
        model for config in apps.get_app_configs() if config.name.split(".")[0] in PROJECT_PACKAGES
        for model in config.get_models()
    ]


def test_no_text_field_of_ours_is_unique_or_indexed_on_the_field_but_the_unit_path():
    twinned = {
        (model._meta.app_label, model._meta.model_name, field.name)
        for model in _project_models() for field in model._meta.local_fields
        if isinstance(field, models.CharField) and (field.unique or field.db_index)
    }
    assert twinned == PREFIX_QUERIED


@pytest.mark.django_db
def test_on_postgresql_the_only_pattern_ops_index_of_ours_is_the_unit_path():
    if not on_postgres():
        pytest.skip("varchar_pattern_ops indexes are PostgreSQL's")
    tables = [model._meta.db_table for model in _project_models() if model._meta.managed]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexdef LIKE %s",
            [tables, "%pattern_ops%"],
        )
        found = cursor.fetchall()
    assert [table for table, _definition in found] == ["orgs_orgunit"]
    assert "(path varchar_pattern_ops)" in found[0][1]


def _existing(model):
    unit = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE)
    if model is OrgUnit:
        return unit
    if model is Account:
        return Account.objects.create(code="999", name="Tài khoản thử", kind=Account.Kind.ASSET, normal_side="debit")
    fund = Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=unit)
    if model is Fund:
        return fund
    if model is ScholarshipProgram:
        return ScholarshipProgram.objects.create(
            unit=unit, code="HB-2026", name="Học bổng 2026", school_year="2026-2027", award_amount=1_000_000,
        )
    from tests.donations.conftest import campaign_make

    return campaign_make(unit=unit, fund=fund)


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field", "form_message", "api_message"), [
    # DRF's `UniqueValidator` words it from the same labels, not capitalised, as it did for `unique=True`.
    (Campaign, "slug", "Chiến dịch có Đường dẫn đã tồn tại.", "chiến dịch có đường dẫn đã tồn tại."),
    (OrgUnit, "code", "Đơn vị hội có Mã đã tồn tại.", "đơn vị hội có mã đã tồn tại."),
    (Fund, "code", "Quỹ có Mã quỹ đã tồn tại.", "quỹ có mã quỹ đã tồn tại."),
    (Account, "code", "Tài khoản có Số hiệu đã tồn tại.", "tài khoản có số hiệu đã tồn tại."),
    (ScholarshipProgram, "code", "Chương trình học bổng có Mã chương trình đã tồn tại.",
     "chương trình học bổng có mã chương trình đã tồn tại."),
])
def test_a_taken_code_is_refused_on_its_field_with_the_fields_message(model, field, form_message, api_message):
    taken = getattr(_existing(model), field)
    with translation.override("vi"):
        form = modelform_factory(model, fields=[field])(data={field: taken})
        assert not form.is_valid()
        assert [(error.code, error.messages) for error in form.errors.as_data()[field]] == [("unique", [form_message])]
        assert list(form.errors) == [field]

        serializer_class = type("Serializer", (serializers.ModelSerializer,), {
            "Meta": type("Meta", (), {"model": model, "fields": [field]}),
        })
        serializer = serializer_class(data={field: taken})
        assert not serializer.is_valid()
        assert serializer.errors == {field: [api_message]}
        assert serializer.errors[field][0].code == "unique"
        assert serializer_class(data={field: taken + "-2"}).is_valid()
