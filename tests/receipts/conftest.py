"""Fixtures of the receipts tests: a province and a commune, a fund, donors, users with roles,
and `record_payment`, the way money comes in (payment_record, then the receipt).

Transactional tests (`transaction=True`) empty every table afterwards, including the chart of
accounts that a ledger migration created, so `chart` puts it back for every test.
"""

import datetime

import celery.app.task
import pytest
from django.utils import timezone

from donations.models import Donor, Payment
from donations.services import payment_record
from fundmgr.ledger import accounts
from fundmgr.ledger.models import Account, Fund, LedgerChainHead
from fundmgr.orgs.models import Membership, OrgUnit
from receipts.services import receipt_issue


@pytest.fixture(autouse=True)
def _eager_celery(celery_setting):
    # In the PostgreSQL + Redis pass too: a test here runs tasks in-process unless it says otherwise.
    celery_setting("task_always_eager", True)
    celery_setting("task_eager_propagates", True)


@pytest.fixture
def queued(monkeypatch):
    """What is sent to the broker, [(task name, args)], instead of sending it.

    Patched on Celery's Task class: patching one task object would leave an instance attribute
    behind that hides later patches.
    """
    sent = []

    def apply_async(self, args=(), **options):
        sent.append((self.name.rsplit(".", 1)[-1], tuple(args)))

    monkeypatch.setattr(celery.app.task.Task, "apply_async", apply_async)
    return sent


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def chart_install() -> None:
    for code, name, kind, side in accounts.CHART:
        Account.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "normal_side": side})
    LedgerChainHead.objects.get_or_create(pk=LedgerChainHead.SINGLETON_PK)


@pytest.fixture
def chart(db):
    chart_install()


@pytest.fixture
def province(chart):
    return OrgUnit.objects.create(
        name="Hội Khuyến học tỉnh Thanh Hóa", code="TH", kind=OrgUnit.Kind.PROVINCE,
        address="Số 35 Đại lộ Lê Lợi, phường Hạc Thành, tỉnh Thanh Hóa",
    )


@pytest.fixture
def commune(province):
    return OrgUnit.objects.create(
        name="Hội Khuyến học phường Hạc Thành", code="TH-HT", kind=OrgUnit.Kind.COMMUNE, parent=province,
        address="Phường Hạc Thành, tỉnh Thanh Hóa",
    )


@pytest.fixture
def fund(province):
    return Fund.objects.create(code="QKH-TH", name="Quỹ Khuyến học tỉnh Thanh Hóa", unit=province)


@pytest.fixture
def donor(province):
    return Donor.objects.create(
        name="Nguyễn Thị Hồng Nhung", name_normalized="nguyen thi hong nhung", email="nhung@example.vn",
        address="Thôn Đông Sơn, xã Quảng Xương, tỉnh Thanh Hóa", unit=province,
    )


@pytest.fixture
def donor_without_email(province):
    return Donor.objects.create(name="Lê Văn Tám", name_normalized="le van tam", unit=province)


def user_with_role(django_user_model, username, role=None, unit=None, **fields):
    user = django_user_model.objects.create_user(username=username, password="x" * 12, is_staff=True, **fields)
    if role is not None:
        Membership.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.fixture
def treasurer(django_user_model, province):
    return user_with_role(django_user_model, "thuquy", Membership.Role.TREASURER, province, first_name="Lê Văn Thủ")


@pytest.fixture
def commune_treasurer(django_user_model, commune):
    return user_with_role(django_user_model, "thuquy-xa", Membership.Role.TREASURER, commune)


@pytest.fixture
def auditor(django_user_model, province):
    return user_with_role(django_user_model, "kiemtra", Membership.Role.AUDITOR, province)


def record_payment(*, donor, fund, unit, amount=1_500_000, method=Payment.Method.BANK_TRANSFER,
                   received_on=None, recorded_by=None, bank_reference=None, **kwargs):
    """Record a payment and issue its receipt, as `payment_record` does (it calls `receipt_issue`
    in its transaction; calling it again returns the same receipt)."""
    import uuid

    from django.db import transaction

    if method == Payment.Method.BANK_TRANSFER and bank_reference is None:
        bank_reference = f"FT-TEST-{uuid.uuid4().hex[:12]}"  # a transfer needs its bank reference
    with transaction.atomic():
        payment = payment_record(
            donor=donor, amount=amount, method=method, received_on=received_on or timezone.localdate(),
            unit=unit, fund=fund, recorded_by=recorded_by, bank_reference=bank_reference, **kwargs,
        )
        receipt = receipt_issue(payment=payment, issued_by=recorded_by)
    return payment, receipt


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def last_year_day():
    return datetime.date(timezone.localdate().year - 1, 12, 31)
