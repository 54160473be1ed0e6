"""What a Vietnamese treasurer types into the admin is taken and saved: amounts as people write them
(`1.000.000.000`, `5 tỷ`, `5 triệu`) in every admin form with a money field, and dates day first
(`01/01/2027`) in every date field of the admin's forms.

Each test opens the page, fills its form as a browser would (the rendered inputs, selects and
hidden fields), types one value and posts; then reads the row the service wrote.
"""

import datetime
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from fundmgr.adminkit.forms import AmountField
from fundmgr.orgs.models import Membership
from tests.api.endpoints import _pledges, make_awards, world_make
from tests.conftest import unit_tree

MONEY_FIELDS = {"amount", "goal", "total_amount", "amount_matched", "award_amount", "budget", "funded_amount", "debit", "credit"}


class Forms(HTMLParser):
    """The POST forms of a page: each a dict of what a browser would send without a click."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = None
        self._textarea = None
        self._first_option = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append({})
        if not self.forms:
            return
        data = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type", "text") not in ("submit", "button", "file", "image"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            data.setdefault(name, []).append(attrs.get("value", "on" if attrs.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            self._first_option.setdefault(self._select, attrs.get("value", ""))
            if "selected" in attrs:
                data[self._select] = [attrs.get("value", "")]
        elif tag == "textarea" and name:
            self._textarea = name
            data[name] = [""]

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            if self.forms and self._select not in self.forms[-1]:
                self.forms[-1][self._select] = [self._first_option.get(self._select, "")]
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1][self._textarea] = [self.forms[-1][self._textarea][0] + data]


def form_on(page: str, field: str) -> dict:
    parser = Forms()
    parser.feed(page)
    (form,) = [form for form in parser.forms if field in form]
    return {name: values if len(values) > 1 else values[0] for name, values in form.items()}


def submit(client, url, typed: dict, *, action=None, row=None):
    """Open `url` (or post `action` for `row` on the changelist `url`), fill the form, type `typed`, send it."""
    if action:
        page = client.post(url, {"action": action, "_selected_action": [row.pk], "index": 0})
    else:
        page = client.get(url)
    assert page.status_code == 200, page.status_code
    data = form_on(page.content.decode(), next(iter(typed)))
    data.update(typed)
    answer = client.post(url, data)
    errors = answer.context and [
        form.errors for form in [answer.context.get("form"), getattr(answer.context.get("adminform"), "form", None)]
        if form is not None and form.errors
    ]
    assert answer.status_code == 302, f"refused: {errors}"
    return answer


@pytest.fixture
def world(db):
    units = unit_tree(
        ("province", "P", "province", "Hội Khuyến học tỉnh", None),
        ("commune_a", "P-A", "commune", "Hội Khuyến học xã A", "province"),
        ("commune_b", "P-B", "commune", "Hội Khuyến học phường B", "province"),
    )
    world = world_make(units)
    world.unit = units.commune_a
    world.fund = world.funds[units.commune_a.pk]
    world.campaign = world.campaigns[units.commune_a.pk]
    return world


@pytest.fixture
def treasurer_client(client, world):
    user = get_user_model().objects.create_user(username="thu_quy", password="x" * 12, is_staff=True)
    Membership.objects.create(user=user, unit=world.unit, role=Membership.Role.TREASURER)
    client.force_login(user)
    client.user = user
    return client


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# --- amounts ---------------------------------------------------------------------------------------


def test_every_money_field_of_an_admin_model_form_takes_what_people_type(world, rf):
    """A generic guard: an admin's own form never offers a number input for an amount."""
    superuser = get_user_model().objects.create_superuser(username="quan_tri", password="x" * 12)
    request = rf.get("/admin/")
    request.user = superuser
    checked, wrong = [], []
    for model, model_admin in admin.site._registry.items():
        if not (model_admin.has_add_permission(request) or model_admin.has_change_permission(request)):
            continue  # a read-only admin (a journal, receipts): no input at all
        form = model_admin.get_form(request, None, fields=flatten_fieldsets(model_admin.get_fieldsets(request, None)))
        for name, field in form.base_fields.items():
            if name in MONEY_FIELDS:
                checked.append(f"{model._meta.label}.{name}")
                if not isinstance(field, AmountField):
                    wrong.append(f"{model._meta.label}.{name}")
    assert "campaigns.Campaign.goal" in checked
    assert wrong == []


@pytest.mark.parametrize("typed, amount", [("1.000.000.000", 10**9), ("5 tỷ", 5 * 10**9), ("5 triệu", 5 * 10**6)])
def test_the_campaign_goal_takes_what_people_type_and_is_saved(treasurer_client, world, typed, amount):
    submit(treasurer_client, change(world.campaign), {"goal": typed})
    world.campaign.refresh_from_db()
    assert world.campaign.goal == amount


def _pledge_add(client, world):
    from donations.models import Pledge

    submit(client, reverse("admin:donations_pledge_add"), {
        "amount": "5 triệu", "donor_name": "Nguyễn Thị Hoà", "campaign": str(world.campaign.pk),
    })
    return Pledge.objects.get(donor__name="Nguyễn Thị Hoà").amount


def _record_payment(client, world):
    (pledge,) = _pledges(world, world.unit, 1)
    submit(client, changelist(type(pledge)), {"amount": "5 triệu", "overpayment_reason": "Gia đình góp thêm"},
           action="record_payment_action", row=pledge)
    return pledge.payments.get().amount


def _fund_movement(action):
    def move(client, world):
        from django.db.models import Max

        from fundmgr.ledger.models import Fund, JournalEntry

        typed = {"amount": "5 triệu"}
        if action == "transfer_action":
            other = Fund.objects.create(code="Q-HB", name="Quỹ học bổng", unit=world.unit)
            typed["to_fund"] = str(other.pk)
        fund = _fund_for(action, world)
        submit(client, changelist(Fund), typed, action=action, row=fund)
        return JournalEntry.objects.latest("pk").lines.aggregate(amount=Max("debit"))["amount"]

    return move


def _fund_for(action, world):
    """The fund an action applies to: an endowment's principal goes only into an endowment fund."""
    from fundmgr.ledger.models import Fund

    if action == "principal_action":
        return Fund.objects.create(code="Q-BT", name="Quỹ bảo toàn", unit=world.unit, is_endowment=True)
    return world.fund


def _program_add(client, world):
    from scholarships.models import ScholarshipProgram

    client.user.memberships.create(unit=world.unit, role=Membership.Role.COMMITTEE)
    submit(client, reverse("admin:scholarships_scholarshipprogram_add"), {
        "award_amount": "5 triệu", "unit": str(world.unit.pk), "code": "HB-2027", "name": "Học bổng vượt khó", "school_year": "2026-2027",
        "fund_1_0": str(world.fund.pk), "fund_1_1": "50 triệu",
    })
    program = ScholarshipProgram.objects.get(code="HB-2027")
    assert program.program_funds.get().budget == 50_000_000
    return program.award_amount


MONEY_FORMS = {
    "pledge add": _pledge_add,
    "pledge record payment": _record_payment,
    "fund transfer": _fund_movement("transfer_action"),
    "fund interest": _fund_movement("interest_action"),
    "fund principal": _fund_movement("principal_action"),
    "program add": _program_add,
}


@pytest.mark.parametrize("form", MONEY_FORMS)
def test_each_admin_form_with_a_money_field_takes_5_trieu(treasurer_client, world, form):
    assert MONEY_FORMS[form](treasurer_client, world) == 5_000_000


# --- dates ------------------------------------------------------------------------------------------

JAN_1_2027 = datetime.date(2027, 1, 1)
# Money received or paid out cannot be dated in the future: those fields get the first of this
# month, day first (`01/12/2026` is the 1st of December, never the 12th of January).
FIRST_OF_MONTH = timezone.localdate().replace(day=1)


def _campaign_date(field):
    def save(client, world):
        typed = {field: "01/01/2027"}
        if field == "starts_on":
            typed["ends_on"] = "31/01/2027"
        submit(client, change(world.campaign), typed)
        world.campaign.refresh_from_db()
        return getattr(world.campaign, field)

    return save


def _payment_received_on(client, world):
    (pledge,) = _pledges(world, world.unit, 1)
    submit(client, changelist(type(pledge)), {"amount": "100k", "received_on": f"{FIRST_OF_MONTH:%d/%m/%Y}"},
           action="record_payment_action", row=pledge)
    return pledge.payments.get().received_on


def _fund_date(action):
    def save(client, world):
        from fundmgr.ledger.models import Fund, JournalEntry

        typed = {"amount": "1 triệu", "date": "01/01/2027"}
        if action == "transfer_action":
            typed["to_fund"] = str(Fund.objects.create(code="Q-HB", name="Quỹ học bổng", unit=world.unit).pk)
        submit(client, changelist(Fund), typed, action=action, row=_fund_for(action, world))
        return JournalEntry.objects.latest("pk").date

    return save


def _student_birth(client, world):
    from scholarships.models import Student

    client.user.memberships.create(unit=world.unit, role=Membership.Role.NOMINATOR)
    submit(client, reverse("admin:scholarships_student_add"), {
        "date_of_birth": "01/01/2013", "full_name": "Trần Văn An", "unit": str(world.unit.pk), "gender": "male",
        "school_name": "Trường THCS xã A", "school_level": "lower_secondary", "grade": "8", "average_score": "8,5",
    })
    return Student.objects.get(full_name="Trần Văn An").date_of_birth.replace(year=2027)


def _disbursement_paid_on(client, world):
    from scholarships.models import Award, Disbursement
    from scholarships.services import awards

    (row,) = make_awards(world, world.unit, 1)
    award = awards.award_approve(award=Award.objects.get(pk=row["pk"]))
    submit(client, changelist(Award), {"paid_on": f"{FIRST_OF_MONTH:%d/%m/%Y}", "method": "cash", "recipient_name": "Phụ huynh"},
           action="pay_action", row=award)
    return Disbursement.objects.get(award=award).paid_on


DATE_FIELDS = {
    "campaign starts_on": _campaign_date("starts_on"),
    "campaign ends_on": _campaign_date("ends_on"),
    "campaign ceremony_date": _campaign_date("ceremony_date"),
    "payment received_on": _payment_received_on,
    "fund transfer date": _fund_date("transfer_action"),
    "fund interest date": _fund_date("interest_action"),
    "fund principal date": _fund_date("principal_action"),
    "student date_of_birth": _student_birth,
    "disbursement paid_on": _disbursement_paid_on,
}


PAST_ONLY = {"payment received_on", "disbursement paid_on"}


@pytest.mark.parametrize("field", DATE_FIELDS)
def test_each_date_field_takes_01_01_2027_day_first(treasurer_client, world, field):
    expected = FIRST_OF_MONTH if field in PAST_ONLY else JAN_1_2027
    assert DATE_FIELDS[field](treasurer_client, world) == expected


@pytest.mark.parametrize(("language", "shown", "typed"), [
    ("vi", "05/01/2027", {"starts_on": "02/01/2027", "ends_on": "31/01/2027"}),
    ("en", "01/05/2027", {"starts_on": "01/02/2027", "ends_on": "01/31/2027"}),
])
def test_a_date_field_shows_and_takes_the_format_of_the_users_language(treasurer_client, world, language, shown, typed):
    from django.conf import settings

    from campaigns.models import Campaign

    Campaign.objects.filter(pk=world.campaign.pk).update(
        starts_on=datetime.date(2027, 1, 5), ends_on=datetime.date(2027, 1, 20)
    )
    treasurer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = treasurer_client.get(change(world.campaign)).content.decode()
    assert form_on(page, "starts_on")["starts_on"] == shown  # as the user's language writes the 5th of January

    submit(treasurer_client, change(world.campaign), typed)
    world.campaign.refresh_from_db()
    assert (world.campaign.starts_on, world.campaign.ends_on) == (datetime.date(2027, 1, 2), datetime.date(2027, 1, 31))


def test_an_audit_row_reads_its_time_day_first_at_the_associations_time():
    from fundmgr.audit.models import AuditEvent

    row = AuditEvent(
        occurred_at=datetime.datetime(2027, 1, 4, 20, 30, tzinfo=datetime.UTC), actor_label="thu_quy",
        action=AuditEvent.Action.values[0], model_label="donations.payment", object_id="7",
    )
    assert str(row).startswith("05/01/2027 03:30:00 thu_quy ")  # 20:30 UTC is 03:30 the next day at UTC+7
