"""A donor asks, from their own pledge page, that their name leave the honor roll and the statement."""

import html

import pytest
from django.test import Client
from django.utils import timezone

from donations import progress
from donations.models import HonorRollRemovalRequest, Payment, Pledge
from donations.services import honor_roll_removal_close, payment_record
from fundmgr.audit.models import AuditEvent
from tests.campaigns import factories

pytestmark = pytest.mark.django_db

NAME = "Trần Thị Hoa"


@pytest.fixture
def listed(campaign):
    pledge = factories.pledge_make(campaign, amount=5_000_000, name=NAME, honor_roll=True)
    payment_record(donor=pledge.donor, pledge=pledge, amount=5_000_000, method=Payment.Method.BANK_TRANSFER,
                   received_on=timezone.localdate(), unit=campaign.unit, bank_reference="FT26050001HOA1")
    return pledge


def public_pages(client, campaign) -> str:
    return "".join(
        html.unescape(client.get(url).content.decode())
        for url in (f"/c/{campaign.slug}/", f"/c/{campaign.slug}/statement/")
    )


def test_the_removal_request_hides_the_name_at_once_and_the_treasurer_closes_it(campaign, listed, treasurer):
    client = Client(enforce_csrf_checks=True)
    assert public_pages(client, campaign).count(NAME) == 2  # the honor roll and the statement

    page = client.get(f"/p/{listed.reference}/").content.decode()
    assert "Rút tên của tôi khỏi bảng vàng" in page
    token = client.cookies["csrftoken"].value
    url = f"/p/{listed.reference}/honor-roll-removal/"
    response = client.post(url, {"csrfmiddlewaretoken": token})
    assert response.status_code == 303 and response["Location"].startswith(f"/p/{listed.reference}/")
    removal = HonorRollRemovalRequest.objects.get()
    assert removal.pledge == listed and removal.closed_at is None
    # Privacy first: hidden before anyone handles it, and the pledge itself is unchanged.
    listed.refresh_from_db()
    assert listed.list_on_honor_roll is True
    assert NAME not in public_pages(client, campaign)
    assert "Nhà hảo tâm …HOA1" in public_pages(client, campaign)
    assert "Tên của bạn không còn hiện" in client.get(f"/p/{listed.reference}/").content.decode()

    # Asking again creates nothing.
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 303
    assert HonorRollRemovalRequest.objects.count() == 1
    assert AuditEvent.objects.filter(model_label="donations.honorrollremovalrequest").count() == 1

    honor_roll_removal_close(removal=removal, by=treasurer)
    listed.refresh_from_db()
    removal.refresh_from_db()
    assert listed.list_on_honor_roll is False and removal.closed_by == treasurer
    assert AuditEvent.objects.filter(model_label="donations.pledge", actor_id=treasurer.pk,
                                     after={"list_on_honor_roll": False}).exists()
    assert NAME not in public_pages(client, campaign)
    # Closing twice changes nothing.
    assert honor_roll_removal_close(removal=removal, by=treasurer).closed_at == removal.closed_at


def test_without_csrf_the_request_is_refused_and_nothing_is_written(campaign, listed):
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/p/{listed.reference}/honor-roll-removal/").status_code == 403
    assert not HonorRollRemovalRequest.objects.exists()


def test_an_unknown_reference_is_404_and_get_is_not_allowed(client, campaign, listed):
    assert client.post("/p/TKH26-XXXXX/honor-roll-removal/").status_code == 404
    assert client.get(f"/p/{listed.reference}/honor-roll-removal/").status_code == 405
    assert not HonorRollRemovalRequest.objects.exists()


def test_removal_requests_are_rate_limited(client, campaign, listed, settings):
    settings.HONOR_ROLL_REMOVAL_RATE_LIMIT_PER_IP = "2/m"
    statuses = [client.post(f"/p/TKH26-ZZZZ{n}/honor-roll-removal/").status_code for n in range(3)]
    assert statuses == [404, 404, 429]
    assert client.post(f"/p/{listed.reference}/honor-roll-removal/").status_code == 429
    assert not HonorRollRemovalRequest.objects.exists()


def test_someone_else_s_treasurer_cannot_close_it(campaign, listed, django_user_model):
    from django.core.exceptions import PermissionDenied

    from fundmgr.orgs.models import Membership, OrgUnit

    other = OrgUnit.objects.create(name="Hội Khuyến học tỉnh Nghệ An", code="NA", kind=OrgUnit.Kind.PROVINCE)
    stranger = django_user_model.objects.create_user(username="na", password="x" * 12, is_staff=True)
    Membership.objects.create(user=stranger, unit=other, role=Membership.Role.TREASURER)
    removal = HonorRollRemovalRequest.objects.create(pledge=listed)
    with pytest.raises(PermissionDenied):
        honor_roll_removal_close(removal=removal, by=stranger)
    assert Pledge.objects.get(pk=listed.pk).list_on_honor_roll is True


def test_the_treasurer_closes_requests_in_the_admin(client, campaign, listed, treasurer):
    removal = HonorRollRemovalRequest.objects.create(pledge=listed)
    client.force_login(treasurer)
    changelist = "/admin/donations/honorrollremovalrequest/"
    page = client.get(changelist)
    assert page.status_code == 200 and listed.reference in page.content.decode()
    response = client.post(changelist, {"action": "close_action", "_selected_action": [removal.pk]})
    assert response.status_code == 302
    removal.refresh_from_db()
    assert removal.closed_by == treasurer
    assert not progress.honor_roll(campaign).entries  # no longer listed at all
