"""The pledge POST of an integration (a token, an Idempotency-Key): what it costs in statements.

Issue #17: the pledge path is the Tết evening's hot path. These counts are pinned so that a
change that adds a lookup or a savepoint to every pledge shows up here first."""

import pytest
from django.core.cache import cache

from donations.models import CampaignDonorTally, Pledge
from fundmgr.orgs.models import Membership

from .conftest import token_client, token_for
from .money_fixtures import *  # noqa: F403  (the fixtures, by name)

pytestmark = pytest.mark.django_db

PLEDGES = "/api/v1/pledges/"


def body(campaign, email):
    return {"campaign": campaign.slug, "fund": campaign.default_fund.code, "donor_name": "Công ty TNHH Hồng Phát",
            "donor_kind": "individual", "email": email, "amount": 2_000_000}


def test_an_api_pledge_of_a_new_donor_costs_a_fixed_number_of_statements(
    treasurer, campaign, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client = token_client(token_for(treasurer))
    # The first request of the minute records the token's use (one UPDATE): not the one measured.
    assert client.post(PLEDGES, body(campaign, "a@hongphat.vn"), format="json", HTTP_IDEMPOTENCY_KEY="k-0").status_code == 201
    cache.clear()
    # 1 the token and its user, 2 the user's memberships, 3 the campaign (its unit), 4 the fund
    # (its unit); in the transaction (a savepoint under the test's, and its release: BEGIN and
    # COMMIT in production): 5 the fund belongs to the campaign, 6 the key's row (ON CONFLICT DO
    # NOTHING: no savepoint), 7 a donor with those contacts (one query for all of them), 8 the
    # new donor, 9 the pledge, 10 its installment, 11 the donor's and the pledge's audit rows
    # (one INSERT), 12 the new donor's two tally rows (one INSERT: nothing to lock or sum),
    # 13 the campaign's counter row (upsert), 14 the key's row points at the pledge, 15 the
    # e-mail's job row. Nothing after it: the answer is the pledge the service holds, with the
    # installments it wrote.
    with django_capture_on_commit_callbacks(execute=False), django_assert_num_queries(17):
        response = client.post(PLEDGES, body(campaign, "b@hongphat.vn"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201
    pledge = Pledge.objects.get(reference=response.json()["reference"])
    # Answered from memory, the same as the pledge read back.
    assert response.json() == client.get(f"{PLEDGES}{pledge.reference}/").json()
    assert dict(
        CampaignDonorTally.objects.filter(donor=pledge.donor).values_list("anonymous", "public_pledged")
    ) == {False: 2_000_000, True: 0}


def test_a_repeated_key_answers_the_first_pledge_without_a_savepoint(
    treasurer, campaign, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    client = token_client(token_for(treasurer))
    first = client.post(PLEDGES, body(campaign, "c@hongphat.vn"), format="json", HTTP_IDEMPOTENCY_KEY="same")
    with django_capture_on_commit_callbacks(execute=False), django_assert_max_num_queries(13) as captured:
        again = client.post(PLEDGES, body(campaign, "c@hongphat.vn"), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    assert not [query for query in captured.captured_queries if "SAVEPOINT" in query["sql"].upper()
                and "RELEASE" not in query["sql"].upper()][1:]  # only the test's own, around the service
    assert Pledge.objects.count() == 1


def test_the_answer_to_a_new_pledge_in_installments_is_the_pledge_read_back(treasurer, campaign):
    client = token_client(token_for(treasurer))
    response = client.post(PLEDGES, {**body(campaign, "d@hongphat.vn"), "installments": 3, "amount": 1_000_000},
                           format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert response.status_code == 201
    answer = response.json()
    assert [item["amount"] for item in answer["installments"]] == [333_333, 333_333, 333_334]
    assert answer == client.get(f"{PLEDGES}{answer['reference']}/").json()


def test_a_campaign_outside_the_callers_units_is_not_found_and_nothing_is_written(treasurer, campaign, other_campaign):
    """The campaign is read by slug and its unit checked against the caller's
    (`donations.selectors.campaign_for_money`), as the scoped query did: another unit's campaign
    is "not found", whatever its status."""
    client = token_client(token_for(treasurer))
    pledges = Pledge.objects.count()
    response = client.post(PLEDGES, {**body(other_campaign, "d@hongphat.vn"), "fund": ""}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k-other")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["campaign"]
    assert "Không tìm thấy chiến dịch." in str(response.json()["errors"]["campaign"])
    assert Pledge.objects.count() == pledges
    assert client.post(PLEDGES, body(campaign, "d@hongphat.vn"), format="json",
                       HTTP_IDEMPOTENCY_KEY="k-own").status_code == 201


def test_another_units_campaign_is_answered_exactly_as_one_that_does_not_exist(treasurer, campaign, other_campaign):
    """`donations.selectors.campaign_for_money`: the caller learns nothing of another unit's campaign,
    not even that it exists (a 403 would tell), whatever its status."""
    client = token_client(token_for(treasurer))
    missing = client.post(PLEDGES, {**body(campaign, "e@hongphat.vn"), "campaign": "khong-co-2026", "fund": ""},
                          format="json", HTTP_IDEMPOTENCY_KEY="k-missing")
    other_campaign.status = "closed"
    other_campaign.save(update_fields=["status"])
    foreign = client.post(PLEDGES, {**body(other_campaign, "e@hongphat.vn"), "fund": ""}, format="json",
                          HTTP_IDEMPOTENCY_KEY="k-foreign")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
    assert missing.status_code == 400
    assert missing.json()["errors"] == {"campaign": ["Không tìm thấy chiến dịch."]}
    assert not Pledge.objects.exists()


def test_a_campaign_the_caller_may_read_but_not_add_to_is_refused_by_the_service(
    django_user_model, treasurer, other_unit, other_campaign
):
    """Found is not allowed: an auditor of the other province finds its campaign (they may read its
    pledges), and `pledge_create` refuses the pledge in a unit where they may not add (403)."""
    Membership.objects.create(user=treasurer, unit=other_unit, role=Membership.Role.AUDITOR)
    client = token_client(token_for(treasurer))
    response = client.post(PLEDGES, {**body(other_campaign, "f@hongphat.vn"), "fund": ""}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k-read-only")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Pledge.objects.exists()
