"""Every admin page speaks one language: Vietnamese with no English left, English with no Vietnamese.

The pages come from `admin.site._registry`, so a new admin is checked without touching this file:
for each ModelAdmin, as each role (a member of commune A) and as a superuser, in Vietnamese and in
English (the language cookie, as the language switcher sets it):
- the changelist, the add page (when the user may add), the change page of one row;
- every action, posted with that row selected: its intermediate page, or the message it leaves
  for the list it redirects to; inside a savepoint that is rolled back, so that one action does
  not change what the next page shows.

What counts as the other language, in the visible text (tags, scripts and styles stripped; the
data the world was made of and codes cut out first):
- in Vietnamese: the English words and phrases Django's admin uses (`ADMIN_ENGLISH`), and the
  project's own English msgstrs;
- in English: the project's Vietnamese msgids, and any word with Vietnamese diacritics.
"""

import contextlib
import datetime
import functools
import html
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import models, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fundmgr.core.lunar import can_chi
from fundmgr.orgs.models import Membership
from tests.api.endpoints import ROW_MAKERS, world_make
from tests.conftest import unit_tree

ROOT = Path(__file__).resolve().parents[2]
SUPERUSER = "superuser"
# The people of the demo (fundmgr/orgs/demo.py), each a member of commune A here; and a superuser.
DEMO_ROLES = [Membership.Role.TREASURER, Membership.Role.AUDITOR, Membership.Role.NOMINATOR, Membership.Role.COMMITTEE]

# English that Django's admin (and the third-party admins it shows) prints, which a Vietnamese page
# must not show. Words are matched whole and case-sensitively (as the admin capitalises them).
ADMIN_ENGLISH = [
    "Please correct", "Created at", "Updated at", "Show counts", "Hide counts", "Add", "Save", "Delete", "Filter",
    "object (", "Select", "to change", "to view", "Action", "Go", "Search", "Home", "Log out", "View site",
    "Change password", "History", "Run", "Yes", "No", "Unknown", "All", "Today", "Past 7 days", "This month",
    "This year", "Any date", "Has date", "No date", "Welcome", "Documentation", "Clear selection", "selected",
    "Recent actions", "My actions", "None available", "Show all", "results", "total", "Date:", "Time:", "Now",
    "Cancel", "Choose", "Currently:", "Change:", "Clear", "Are you sure", "Summary", "Objects", "Toggle theme",
    "Skip to main content", "Start typing to filter", "Close", "View", "Previous", "Next", "By ", "Name",
    "Enabled", "Description", "Username", "Password", "Permissions", "Groups", "Active", "Staff status",
    "Superuser status", "Important dates", "Last login", "Date joined", "First name", "Last name", "Email address",
    "Personal info", "Save and add another", "Save and continue editing", "Save as new", "Close", "Time zone",
    "Attempt", "IP Address", "User Agent", "Path", "Failures", "Logout", "Login", "Schedule", "Task", "Arguments",
    "Expires", "Interval", "Crontab", "Clocked", "Solar", "Every", "Minute", "Hour", "Day", "Month", "Week",
    "Confirmed", "Device", "Key", "Digits", "Tolerance", "Drift", "Throttling", "Idempotency key", "Previous hash",
    "ENTRY", "Entry", "Reason", "Status", "Amount", "Created", "Updated", "Total", "Message", "Error",
    "Locked Out", "Clean up", "Remaining", "Task Name", "Translation", "Otp_Totp", "Axes",
    # What the third-party packages write without gettext: django-otp's model name and QR link,
    # the `__str__` of django-axes' rows and celery-beat's crontabs (in titles, breadcrumbs,
    # checkboxes' labels, the lists of what a delete takes with it).
    "TOTP device", "TOTP devices", "qrcode", "Attempted Access", "Failed access", "Access Log for", "m/h/dM/MY/d",
]
ENGLISH = re.compile(r"(?<![\w])(?:" + "|".join(re.escape(word.strip()) for word in ADMIN_ENGLISH) + r")(?![\w])")
VIETNAMESE_LETTERS = re.compile(
    r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.IGNORECASE
)
# In an English page: the units of an amount as people type them ("5 triệu", taught by the input's
# help text), and the Vietnamese words quoted from a printed document (“ĐÃ HỦY / HOÀN”).
TYPED_AMOUNT = re.compile(r"\d+ (?:triệu|tỷ|nghìn)|“[^”]*”")
CODE = re.compile(r"\b[\w.-]*\d[\w.-]*\b")  # a reference, a number, a date: not words of either language


class VisibleText(HTMLParser):
    """The text a person sees: text nodes, button values, placeholders and titles; no scripts or styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template", "noscript"):
            self._hidden += 1
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in ("submit", "button"):
            self.pieces.append(attrs.get("value") or "")
        for name in ("placeholder", "title", "aria-label"):
            if attrs.get(name):
                self.pieces.append(attrs[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template", "noscript") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.pieces.append(data)


def visible_text(page: str) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    return [" ".join(piece.split()) for piece in parser.pieces if piece.strip()]


def _catalogue_entries():
    for path in sorted(ROOT.glob("**/locale/en/LC_MESSAGES/django.po")):
        if ".venv" in path.parts:
            continue
        for entry in polib.pofile(str(path)):
            if entry.translated() and not entry.obsolete:
                yield entry


@functools.cache
def project_english() -> frozenset[str]:
    """The project's English msgstrs of more than one word (one word, such as "Fund", is in the list above
    where it matters, and alone would match too much)."""
    found = set()
    for entry in _catalogue_entries():
        for text in [entry.msgstr, *entry.msgstr_plural.values()]:
            if "%" not in text and "{" not in text and len(text.split()) >= 2 and text != entry.msgid:
                found.add(text.strip())
    return frozenset(found)


@functools.cache
def project_vietnamese() -> frozenset[str]:
    return frozenset(
        entry.msgid.strip() for entry in _catalogue_entries()
        if "%" not in entry.msgid and "{" not in entry.msgid and entry.msgid != entry.msgstr  # "E-mail", "PDF"
    )


def data_strings() -> list[str]:
    """Every text value stored in the database: what people typed and the world was made of, longest first."""
    found = set()
    for model in django_models():
        fields = [
            field.attname for field in model._meta.concrete_fields
            if isinstance(field, (models.CharField, models.TextField, models.JSONField))
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            for value in [leaf for stored in row for leaf in leaves(stored)]:
                if value and len(value) >= 2:
                    # Spaced as the page's text is read (`visible_text`): "1.000.000 ₫" has a no-break space.
                    found.add(" ".join(str(value).split()))
                    found.update(" ".join(line.split()) for line in str(value).splitlines() if len(line.strip()) >= 2)
    found.update(can_chi(year) for year in range(2020, 2040))  # a campaign's year name: a proper name
    return tuple(sorted(found, key=len, reverse=True))


def leaves(value):
    """The strings inside a stored value (a JSON field's labels and explanations)."""
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value] if isinstance(value, str) else []


def django_models():
    from django.apps import apps

    return [model for model in apps.get_models() if not model._meta.proxy]


def without_data(text: str, data: tuple[str, ...]) -> str:
    if text.endswith("…") and any(value.startswith(text[:-1]) for value in data):
        return ""  # a long value cut short in a list cell
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    return CODE.sub(" ", text)


def foreign_text(pieces: list[str], language: str, data: tuple[str, ...]) -> list[str]:
    """The pieces of the page's visible text that are in the other language."""
    return [piece for piece in pieces if is_foreign(piece, language, data)]


@functools.cache
def is_foreign(piece: str, language: str, data: tuple[str, ...]) -> bool:
    # Cached: most pieces (the menu, the filters, the column titles) recur on every page.
    if language == "en":
        piece = TYPED_AMOUNT.sub(" ", piece)
    text = without_data(piece, data)
    if text.lstrip().startswith(("{", "[")):
        return False  # a JSON value (a rubric, an audit row's data): stored data, shown as it is
    if language == "vi":
        return bool(ENGLISH.search(text)) or any(english in text for english in project_english())
    return bool(VIETNAMESE_LETTERS.search(text)) or text.strip(" :") in project_vietnamese()


# --- the world ------------------------------------------------------------------------------------


def world_build():
    """One row (at least) of every registered model, in commune A where a model has a unit."""
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    units = unit_tree(
        ("province", "P", "province", "Hội Khuyến học tỉnh", None),
        ("commune_a", "P-A", "commune", "Hội Khuyến học xã A", "province"),
        ("commune_b", "P-B", "commune", "Hội Khuyến học phường B", "province"),
    )
    world = world_make(units)
    for make in ROW_MAKERS.values():
        make(world, units.commune_a, 1)
    people = {}
    for role in DEMO_ROLES:
        user = get_user_model().objects.create_user(username=f"nguoi_{role}", password="x" * 12, is_staff=True)
        Membership.objects.create(user=user, unit=units.commune_a, role=role)
        people[role] = user
    people[SUPERUSER] = get_user_model().objects.create_user(
        username="quan_tri", password="x" * 12, is_staff=True, is_superuser=True
    )
    extra_rows(world, units, people)
    interval = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.DAYS)
    CrontabSchedule.objects.create(minute="0", hour="6")
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    SolarSchedule.objects.create(event="sunrise", latitude=21, longitude=105)
    PeriodicTask.objects.create(name="nhac-hen", task="donations.tasks.pledge_reminders_task", interval=interval)
    TOTPDevice.objects.create(user=people[SUPERUSER], name="điện thoại")
    return units, people


def extra_rows(world, units, people):
    """Rows of the registered models that the API's row makers do not make."""
    from django.contrib.auth.models import Group

    from donations.models import Donor, Pledge
    from donations.services import honor_roll_removal_request
    from fundmgr.api.services import api_token_create
    from fundmgr.ledger.services import ledger_verify
    from fundmgr.reports.models import ReportSchedule
    from fundmgr.transparency.services import checkpoint_take
    from receipts.services import annual_statements_request

    treasurer = people[Membership.Role.TREASURER]
    api_token_create(user=treasurer, name="tích hợp kế toán", scope="read", expires_at=timezone.now() + datetime.timedelta(days=30))
    Group.objects.create(name="Ban thường trực")
    pledge = Pledge.objects.filter(campaign__unit=units.commune_a).order_by("pk").first()
    honor_roll_removal_request(pledge=pledge)
    ledger_verify()
    ReportSchedule.objects.create(kind=ReportSchedule.Kind.values[0], unit=units.commune_a, created_by=treasurer)
    checkpoint_take(by=people[SUPERUSER])
    donors = Donor.objects.filter(unit=units.commune_a)
    annual_statements_request(donors=donors, year=timezone.localdate().year, by=treasurer)
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from fundmgr.transparency.models import Checkpoint, CheckpointDelivery
    from receipts.models import DonorAnnualStatement

    DonorAnnualStatement.objects.get_or_create(donor=donors.first(), year=timezone.localdate().year)
    CheckpointDelivery.objects.get_or_create(checkpoint=Checkpoint.objects.first(), user=people[SUPERUSER])

    from scholarships.models import (
        AllocationJob,
        ConflictDeclaration,
        ScholarshipProgram,
        Student,
        TransferBatch,
    )

    program = ScholarshipProgram.objects.filter(unit=units.commune_a).order_by("pk").first()
    committee = people[Membership.Role.COMMITTEE]
    AllocationJob.objects.create(program=program, requested_by=committee)
    ConflictDeclaration.objects.create(
        member=committee, unit=units.commune_a, kind=ConflictDeclaration.Kind.values[0],
        student=Student.objects.filter(unit=units.commune_a).order_by("pk").first(), declared_by=committee,
    )
    TransferBatch.objects.create(
        program=program, recipients_unit=units.commune_a, line_count=1, total_amount=1_500_000, created_by=treasurer
    )

    AccessAttempt.objects.create(username="khach", ip_address="10.0.0.1", user_agent="trình duyệt", failures_since_start=1)
    AccessFailureLog.objects.create(username="khach", ip_address="10.0.0.1", user_agent="trình duyệt")
    AccessLog.objects.create(username="khach", ip_address="10.0.0.1", user_agent="trình duyệt")


# --- the pages ------------------------------------------------------------------------------------


def registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def url_of(model, view, *args):
    try:
        return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)
    except NoReverseMatch:
        return None


class Request:
    def __init__(self, user):
        self.user = user
        self.GET = {}
        self.POST = {}
        self.method = "GET"
        self.META = {}
        self.COOKIES = {}
        self.path = "/admin/"


MONEY_FIELDS = {"amount", "goal", "total_amount", "amount_matched", "award_amount", "budget", "funded_amount", "debit", "credit"}
BARE_NUMBER = re.compile(r"(?<![\d.,])\d{5,}(?![\d.,])")


def money_values() -> frozenset[str]:
    """Every amount of money stored, as the bare digits a page must not show (`750000`)."""
    found = set()
    for model in django_models():
        for field in model._meta.concrete_fields:
            if field.name in MONEY_FIELDS and isinstance(field, models.BigIntegerField):
                found.update(str(value) for value in model._base_manager.values_list(field.attname, flat=True) if value >= 10_000)
    return frozenset(found)


def raw_amounts(pieces: list[str], amounts: frozenset[str]) -> list[str]:
    return [
        piece for piece in pieces
        if not piece.startswith(("{", "[")) and set(BARE_NUMBER.findall(piece)) & amounts  # JSON: a stored document
    ]


def pages_seen(client, user, language, data):
    """(page, foreign pieces) for every page this user may open, and the pages that failed to open."""
    from django.test import RequestFactory

    problems = []
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    request = RequestFactory().get("/admin/")
    request.user = user

    def check(label, response):
        if response.status_code == 302:
            # An action done without a page of its own: what it says is the message it queued for
            # the list it redirects to (the list itself is checked on its own).
            pieces = [" ".join(str(message).split()) for message in get_messages(response.wsgi_request)]
            problems.extend((label, piece) for piece in foreign_text(pieces, language, data))
            return
        if response.status_code != 200:
            problems.append((label, f"HTTP {response.status_code}"))
            return
        if not response["Content-Type"].startswith("text/html"):
            return  # a file the action made (a PDF, a spreadsheet): the tests of its app read it
        pieces = visible_text(html.unescape(response.content.decode()))
        for piece in foreign_text(pieces, language, data):
            problems.append((label, piece))
        for piece in raw_amounts(pieces, amounts):
            problems.append((label, f"an amount not written as 1.000.000 ₫: {piece}"))

    amounts = money_values()
    check("admin:index", client.get(reverse("admin:index")))
    # The navigation sidebar lists what the index page lists, checked just above: the other pages
    # are rendered without it, which halves the time their templates take; and without the list of
    # apps that every admin page builds for it (`each_context`'s `available_apps`: every model's
    # permissions and links), which was a third of the time of a page.
    admin.site.enable_nav_sidebar = False
    admin.site.get_app_list = lambda request, app_label=None: []
    for model, model_admin in registered():
        name = model._meta.label
        if not model_admin.has_view_or_change_permission(request):
            continue
        changelist = url_of(model, "changelist")
        check(f"{name} changelist", client.get(changelist))
        add = url_of(model, "add")
        if add and model_admin.has_add_permission(request):
            check(f"{name} add", client.get(add))
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is None:
            if user.is_superuser:
                problems.append((name, "no row to open"))
            continue
        check(f"{name} change", client.get(url_of(model, "change", row.pk)))
        for action in model_admin.get_actions(request):
            with transaction.atomic():
                try:
                    response = client.post(changelist, {"action": action, "_selected_action": [row.pk], "index": 0})
                except Exception as error:  # noqa: BLE001 - a page that crashes is reported with the others
                    problems.append((f"{name} action {action}", repr(error)))
                    transaction.set_rollback(True)
                    continue
                check(f"{name} action {action}", response)
                transaction.set_rollback(True)
    return problems


def nav_sidebar_restore():
    admin.site.enable_nav_sidebar = True
    # `admin.site` is a lazy object: the override was set on the site it wraps, and is deleted
    # there (popping the wrapper's own __dict__ left it in place, and later tests saw no app list).
    with contextlib.suppress(AttributeError):
        del admin.site.get_app_list  # the site's own method again


@pytest.fixture
def nav_sidebar_restored():
    yield
    nav_sidebar_restore()


def test_every_admin_page_speaks_one_language(client, db, settings, nav_sidebar_restored):
    # One world for both languages and every role: building it is a good part of the test's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _units, people = world_build()
    data = data_strings()
    problems = []
    for language in ("vi", "en"):
        for role, user in people.items():
            nav_sidebar_restore()
            problems += [(language, role, *problem) for problem in pages_seen(client, user, language, data)]
    unique = sorted(set(problems))
    if os.environ.get("ADMIN_LANGUAGE_DUMP"):
        Path(os.environ["ADMIN_LANGUAGE_DUMP"]).write_text("\n".join("\t".join(map(str, p)) for p in unique))
    assert not unique, f"{len(unique)} piece(s) of the other language (or raw amounts) in the admin:\n" + "\n".join(
        " | ".join(map(str, problem)) for problem in unique
    )
