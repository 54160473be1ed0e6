"""The campaign page's running totals equal a full recount, whatever happens in between.

A seeded random sequence of what treasurers and donors do (form and admin pledges, payments by
cash and transfer, overpayments, receipts voided, pledges confirmed, cancelled and written off,
removal requests, donor merges), each through the real service, then every public figure read
from the totals (`progress.campaign_figures`) is compared with the same figure summed over every
pledge and payment (`recount=True`, the queries the page used to run on each request).
"""

import datetime
import html
import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from donations import progress, services
from donations.models import CampaignDonorTally, CampaignTally, Donor, Pledge
from donations.selectors import pledge_paid
from donations.services.tallies import tallies_rebuild
from fundmgr.core.contacts import name_normalize
from fundmgr.core.money import format_vnd
from receipts.models import Receipt

from .conftest import campaign_make

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Cường", "Phạm Thu Dung", "Công ty Sông Mã", "Hoàng Minh Đức"]


def _random_history(rng: random.Random, campaign, funds, treasurer, steps: int, after_each=None) -> dict:
    today = timezone.localdate()
    counts: dict[str, int] = {}
    pledges: list[Pledge] = []

    def did(what):
        counts[what] = counts.get(what, 0) + 1

    for _step in range(steps):
        action = rng.choice(["pledge", "pledge", "pay", "pay", "pay", "pay", "void", "confirm", "cancel",
                             "write_off", "remove", "merge"])
        open_pledges = [p for p in pledges if p.status not in (Pledge.Status.CANCELLED, Pledge.Status.WRITTEN_OFF)]
        if action == "pledge" or not pledges:
            form = rng.random() < 0.5
            name = rng.choice(NAMES)
            pledge, _ = services.pledge_create(
                campaign=campaign, donor_name=name, donor_kind="business" if name.startswith("Công ty") else "individual",
                email=f"{rng.randrange(4)}@example.vn", amount=rng.choice([500_000, 1_000_000, 5_000_000]),
                fund=rng.choice(funds), anonymous=rng.random() < 0.3, list_on_honor_roll=rng.random() < 0.7,
                channel=Pledge.Channel.FORM if form else Pledge.Channel.ADMIN, created_by=None if form else treasurer,
            )
            pledges.append(pledge)
            did("pledge")
        elif action == "pay" and open_pledges:
            pledge = rng.choice(open_pledges)
            amount = rng.choice([100_000, 300_000, 1_000_000, 6_000_000])
            services.payment_record(
                donor=pledge.donor, pledge=pledge, amount=amount, method="cash", unit=campaign.unit,
                received_on=today - datetime.timedelta(days=rng.randrange(5)), recorded_by=treasurer,
                overpayment_reason="Nộp thêm" if amount > pledge.amount - pledge_paid(pledge) else "",
            )
            did("pay")
        elif action == "void":
            receipts = list(Receipt.objects.filter(voided_at__isnull=True).order_by("pk"))
            if receipts:
                services.receipt_void(receipt=rng.choice(receipts), reason="Ghi nhầm", voided_by=treasurer)
                did("void")
        elif action == "confirm":
            unconfirmed = [p for p in open_pledges if p.confirmed_at is None]
            if unconfirmed:
                services.pledge_confirm(pledge=rng.choice(unconfirmed), by=treasurer)
                did("confirm")
        elif action == "cancel":
            unpaid = [p for p in open_pledges if pledge_paid(p) == 0]
            if unpaid:
                services.pledge_cancel(pledge=rng.choice(unpaid), reason="Nhà hảo tâm rút lại", by=treasurer)
                did("cancel")
        elif action == "write_off":
            partly = [p for p in open_pledges if p.status != Pledge.Status.FULFILLED]
            if partly:
                services.pledge_write_off(pledge=rng.choice(partly), reason="Không thu được", by=treasurer)
                did("write_off")
        elif action == "remove":
            services.honor_roll_removal_request(pledge=rng.choice(pledges))
            did("remove")
        elif action == "merge":
            donors = sorted({p.donor_id for p in pledges})
            if len(donors) >= 2:
                keep, merge = rng.sample(donors, 2)
                services.donor_merge(keep=Donor.objects.get(pk=keep), merge=Donor.objects.get(pk=merge), by=treasurer)
                did("merge")
        for pledge in pledges:
            pledge.refresh_from_db()
        if after_each is not None:
            after_each()
    return counts


def _served_is_fresh(client, campaign):
    """The campaign page as served (from the cache of rendered pages whenever it holds one) is the
    page rendered afresh from the current data."""
    from django.test import RequestFactory

    from public import page_cache, views
    from tests.public.page_helpers import without_token

    url = f"/c/{campaign.slug}/"
    served = client.get(url)
    assert served.status_code == 200
    fresh = views._campaign_detail(RequestFactory().get(url), campaign.slug, {"csrf_token": "x"})
    assert without_token(served) == without_token(fresh)
    assert page_cache.CSRF_PLACEHOLDER.encode() not in served.content


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_totals_equal_a_full_recount_after_a_random_history(seed, unit, fund, second_fund, treasurer, client):
    campaign = campaign_make(unit=unit, fund=fund, funds=[second_fund])
    # After every write, the page served through the cache is the page of the current figures.
    counts = _random_history(random.Random(seed), campaign, [fund, second_fund], treasurer, steps=40,
                             after_each=lambda: _served_is_fresh(client, campaign))
    # The sequence did what it is meant to test (each seed draws each kind of write).
    assert counts.get("pay", 0) >= 10 and counts.get("void", 0) >= 1, counts

    kept, recounted = progress.campaign_figures(campaign), progress.campaign_figures(campaign, recount=True)
    assert kept == recounted
    assert recounted["received"] > 0 and recounted["honor_roll"]
    assert progress.tally_mismatches() == []
    # The page served shows the recounted figures: the total received and the honor roll's names.
    served = html.unescape(client.get(f"/c/{campaign.slug}/").content.decode())
    assert format_vnd(recounted["received"]) in served
    assert all(name in served for _anonymous, name, _kind, _amount in recounted["honor_roll"][:50] if name)

    # A rebuild from the records gives the same figures.
    tallies_rebuild()
    assert progress.campaign_figures(campaign) == recounted
    _served_is_fresh(client, campaign)


def test_the_check_command_finds_a_tampered_total_and_the_rebuild_repairs_it(campaign, treasurer, capsys):
    pledge, _ = services.pledge_create(
        campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual", email="an@example.vn",
        amount=2_000_000, list_on_honor_roll=True, channel=Pledge.Channel.ADMIN, created_by=treasurer,
    )
    services.payment_record(
        donor=pledge.donor, pledge=pledge, amount=1_500_000, method="cash", unit=campaign.unit,
        received_on=timezone.localdate(), recorded_by=treasurer,
    )
    call_command("campaign_tallies", "--check")
    assert "OK" in capsys.readouterr().out

    CampaignTally.objects.filter(received__gt=0).update(received=999)
    CampaignDonorTally.objects.filter(honor_total__gt=0).update(honor_total=1)
    with pytest.raises(CommandError, match="differ"):
        call_command("campaign_tallies")
    out = capsys.readouterr().out
    assert "MISMATCH tet-khuyen-hoc-2026 received: kept 999, recounted 1500000" in out
    assert "honor_roll" in out

    call_command("campaign_tallies", "--rebuild")
    assert "OK" in capsys.readouterr().out
    assert progress.campaign_progress(campaign).received == 1_500_000


def test_a_form_pledge_counts_nothing_until_money_arrives_or_a_treasurer_confirms(campaign, treasurer):
    pledge, _ = services.pledge_create(
        campaign=campaign, donor_name="Ai Đó", donor_kind="individual", phone="0912000111", amount=900_000_000_000,
        list_on_honor_roll=True, channel=Pledge.Channel.FORM,
    )
    assert progress.campaign_progress(campaign) == progress.Progress(
        goal=campaign.goal, pledged=0, received=0, donor_count=0)
    assert not CampaignTally.objects.exists()  # the public form's path writes no total
    services.payment_record(
        donor=pledge.donor, pledge=pledge, amount=200_000, method="cash", unit=campaign.unit,
        received_on=timezone.localdate(), recorded_by=treasurer,
    )
    assert progress.campaign_progress(campaign) == progress.Progress(
        goal=campaign.goal, pledged=200_000, received=200_000, donor_count=1)
    services.pledge_confirm(pledge=pledge, by=treasurer)
    assert progress.campaign_progress(campaign).pledged == 900_000_000_000
    assert progress.campaign_figures(campaign) == progress.campaign_figures(campaign, recount=True)


def _donor_rows():
    return sorted(CampaignDonorTally.objects.values_list(
        "campaign_id", "donor_id", "anonymous", "public_pledged", "honor_total", "first_payment"))


class _Undo(Exception):
    pass


def _donor_rows_recounted():
    """The donors' rows a rebuild from the records writes (only rows with a figure), rolled back."""
    try:
        with transaction.atomic():
            tallies_rebuild()
            rows = _donor_rows()
            raise _Undo
    except _Undo:
        return rows


def test_a_new_payment_moves_its_donors_rows_as_a_recount_would(campaign, treasurer):
    """`payment_record` adds the payment to the donor's rows instead of summing the donor's
    pledges and payments again; after each kind of pledge the rows equal the recount's."""
    def pledge(name, **options):
        made, _ = services.pledge_create(
            campaign=campaign, donor_name=name, donor_kind="individual", email=f"{name_normalize(name).replace(' ', '.')}@example.vn",
            amount=2_000_000, channel=options.pop("channel", Pledge.Channel.ADMIN), created_by=treasurer, **options,
        )
        return made

    listed = pledge("Nguyễn Văn An", list_on_honor_roll=True)
    hidden = pledge("Trần Thị Bình", list_on_honor_roll=False)
    anonymous = pledge("Lê Hoàng Cường", list_on_honor_roll=True, anonymous=True)
    removed = pledge("Phạm Thu Dung", list_on_honor_roll=True)
    services.honor_roll_removal_request(pledge=removed)
    unconfirmed = pledge("Công ty Sông Mã", list_on_honor_roll=True, channel=Pledge.Channel.FORM)
    for paid in [listed, hidden, anonymous, removed, unconfirmed, listed, unconfirmed]:
        paid.refresh_from_db()
        services.payment_record(
            donor=paid.donor, pledge=paid, amount=700_000, method="cash", unit=campaign.unit,
            received_on=timezone.localdate(), recorded_by=treasurer,
        )
        assert [row for row in _donor_rows() if row[3] or row[4] or row[5]] == _donor_rows_recounted()
        assert progress.campaign_figures(campaign) == progress.campaign_figures(campaign, recount=True)
    assert len({row[1] for row in _donor_rows()}) == 5
    # After a rebuild the donors have only the rows with figures: the next payment recounts.
    tallies_rebuild()
    listed.refresh_from_db()
    services.payment_record(
        donor=listed.donor, pledge=listed, amount=100_000, method="cash", unit=campaign.unit,
        received_on=timezone.localdate(), recorded_by=treasurer,
    )
    assert progress.campaign_figures(campaign) == progress.campaign_figures(campaign, recount=True)
    assert progress.tally_mismatches() == []


def test_the_first_listed_payment_is_the_smallest_id_whatever_order_the_locks_came_in(campaign, treasurer):
    # Ids are drawn before the donor's rows are locked: a payment may reach the rows after one
    # with a larger id (two treasurers at once). The honor roll's order uses the smallest.
    from donations.models import Payment
    from donations.services.tallies import tally_payment_added

    made, _ = services.pledge_create(
        campaign=campaign, donor_name="Nguyễn Văn An", donor_kind="individual", email="an@example.vn",
        amount=2_000_000, list_on_honor_roll=True, channel=Pledge.Channel.ADMIN, created_by=treasurer,
    )
    later = services.payment_record(
        donor=made.donor, pledge=made, amount=500_000, method="cash", unit=campaign.unit,
        received_on=timezone.localdate(), recorded_by=treasurer,
    )
    row = CampaignDonorTally.objects.get(donor=made.donor, anonymous=False)
    assert (row.honor_total, row.first_payment) == (500_000, later.pk)
    earlier = Payment(pk=later.pk - 1, amount=300_000, received_on=timezone.localdate())
    tally_payment_added(payment=earlier, pledge=made, paid_before=500_000)
    row.refresh_from_db()
    assert (row.honor_total, row.first_payment) == (800_000, later.pk - 1)
