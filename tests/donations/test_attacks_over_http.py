"""The money-in attacks of issue #10 (points 1, 2, 3, 8), played over HTTP against a live server
by the stand-alone script `tests/attacks/money_in.py`: none of them succeeds."""

import io

import pytest

from donations.models import Donor
from fundmgr.ledger.models import Fund
from fundmgr.orgs.models import Membership, OrgUnit
from tests.attacks.money_in import play

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_money_in_attack_succeeds(live_server, campaign, fund, unit, django_user_model, settings):
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    treasurer = django_user_model.objects.create_user(username="thuquy_tinh", password="tinh-pass-2026", is_staff=True)
    Membership.objects.create(user=treasurer, unit=unit, role=Membership.Role.TREASURER)
    ward = OrgUnit.objects.create(name="Hội Khuyến học phường Hạc Thành", code="TH-HT", kind=OrgUnit.Kind.COMMUNE,
                                  parent=unit)
    Fund.objects.create(code="QKH-HT", name="Quỹ Khuyến học phường Hạc Thành", unit=ward)
    ward_treasurer = django_user_model.objects.create_user(username="thuquy_phuong", password="phuong-pass-2026",
                                                           is_staff=True)
    Membership.objects.create(user=ward_treasurer, unit=ward, role=Membership.Role.TREASURER)
    ward_donor = Donor.objects.create(unit=ward, kind="individual", name="Lê Văn Hùng", name_normalized="le van hung")
    known = Donor.objects.create(unit=unit, kind="individual", name="Nguyễn Văn Đức", name_normalized="nguyen van duc",
                                 phone="+84912345678")
    out = io.StringIO()

    succeeded = play([
        live_server.url, "--campaign", campaign.slug, "--known-phone", "0912345678", "--known-name", "Nguyễn Văn Đức",
        "--known-ids", str(known.pk), "--treasurer", "thuquy_tinh:tinh-pass-2026", "--treasurer-donor", str(known.pk),
        "--treasurer-fund", fund.code, "--ward-treasurer", "thuquy_phuong:phuong-pass-2026",
        "--ward-donor", str(ward_donor.pk), "--foreign-fund", fund.code, "--form-wait", "0",
    ], out=out)

    report = out.getvalue()
    assert succeeded == 0, report
    assert report.count("refused") == 4 and report.endswith("4 attacks, 0 succeeded\n"), report
    known.refresh_from_db()
    assert known.email == ""
