"""The money-in books for auditors: pledges outstanding, the campaign report, donors.

Each is a `fundmgr.core.exporting.Exporter`, registered by `DonationsConfig.ready()`. A rows
function reads only the units of `request.unit_ids` (a pledge belongs to its campaign's unit, a
donor to its own unit), streams its rows in primary-key chunks and costs a fixed number of queries:
the sums are the selectors' subqueries (`donations.selectors`, `donations.progress`), so these
files say what the admin pages say.

Donors' names are shown (they are what the books are about); their e-mail, phone, tax code and
address are masked as the audit trail masks them unless `request.personal`.
"""

from __future__ import annotations

from django import forms
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from fundmgr.audit.masking import mask_value, personal_fields
from fundmgr.core.exporting import AMOUNT, DATE, EXACT, INTEGER, Column, Exporter, ExportRequest
from fundmgr.orgs.roles import Domain
from fundmgr.orgs.scoping import units_queryset

from .exporter_charts import campaign_report_chart
from .models import Donor, Pledge
from .progress import progress_by_donor_kind, progress_by_fund, progress_by_unit, received_by_day
from .selectors import OPEN_STATUSES, donor_totals, pledge_due_amounts, pledge_outstanding

CHUNK = 2_000


def yes_no(value: bool) -> str:
    return str(_("có") if value else _("không"))


# --- pledges outstanding and overdue ----------------------------------------------------------------
class PledgesOutstandingForm(forms.Form):
    OUTSTANDING, OVERDUE = "outstanding", "overdue"
    campaign = forms.ModelChoiceField(
        label=_("chiến dịch"), queryset=Campaign.objects.order_by("-starts_on", "pk"), required=False,
        help_text=_("Để trống: mọi chiến dịch."),
    )
    which = forms.ChoiceField(
        label=_("cam kết"), initial=OUTSTANDING,
        choices=[(OUTSTANDING, _("Còn phải nộp")), (OVERDUE, _("Quá hạn"))],
    )
    as_of = forms.DateField(
        label=_("ngày xét quá hạn"), required=False,
        help_text=_("Các đợt có hạn nộp trước ngày này mà chưa nộp đủ là quá hạn. Để trống: hôm nay."),
    )


PLEDGES_OUTSTANDING_COLUMNS = (
    Column(_("mã ủng hộ"), EXACT),
    Column(_("chiến dịch")),
    Column(_("đơn vị")),
    Column(_("nhà hảo tâm")),
    Column(_("loại")),
    Column(_("quỹ")),
    Column(_("ngày cam kết"), DATE),
    Column(_("trạng thái")),
    Column(_("số tiền cam kết"), AMOUNT),
    Column(_("đã nộp"), AMOUNT),
    Column(_("còn phải nộp"), AMOUNT),
    Column(_("đến hạn chưa nộp"), AMOUNT),
    Column(_("quá hạn")),
)


def pledges_outstanding_queryset(request: ExportRequest):
    """Open pledges with money still to pay (or only the overdue ones).

    "Due and unpaid" is what the installments due before the day add up to beyond what was paid:
    the selectors' rule (`pledge_due_amounts`), so this file and the reminders agree.
    """
    params = request.params
    pledges = units_queryset(Pledge.objects.filter(status__in=OPEN_STATUSES), request.unit_ids, "campaign__unit")
    if params.get("campaign") is not None:
        pledges = pledges.filter(campaign=params["campaign"])
    pledges = pledge_due_amounts(pledge_outstanding(pledges), today=params.get("as_of") or timezone.localdate())
    pledges = pledges.filter(outstanding_amount__gt=0)
    if params.get("which") == PledgesOutstandingForm.OVERDUE:
        pledges = pledges.filter(due_amount__gt=F("paid_amount"))
    return pledges


def pledges_outstanding_rows(request: ExportRequest):
    """One row per pledge of `pledges_outstanding_queryset`, by unit: one query."""
    pledges = pledges_outstanding_queryset(request)
    pledges = pledges.select_related("donor", "campaign__unit", "fund").order_by("campaign__unit__path", "pk")
    for pledge in pledges.iterator(chunk_size=CHUNK):
        overdue = max(pledge.due_amount - pledge.paid_amount, 0)
        yield (
            pledge.reference, pledge.campaign.name, pledge.campaign.unit.name, pledge.donor.name,
            pledge.donor.get_kind_display(), pledge.fund.name, timezone.localtime(pledge.created_at).date(),
            pledge.get_status_display(), pledge.amount, pledge.paid_amount, pledge.outstanding_amount, overdue,
            yes_no(overdue > 0),
        )


# --- the campaign report ------------------------------------------------------------------------------
class CampaignReportForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("chiến dịch"), queryset=Campaign.objects.order_by("-starts_on", "pk"))


CAMPAIGN_REPORT_COLUMNS = (
    Column(_("chia theo")),
    Column(_("nhóm")),
    Column(_("ngày"), DATE),
    Column(_("cam kết"), AMOUNT),
    Column(_("đã nhận"), AMOUNT),
    Column(_("số cam kết"), INTEGER),
)


def campaign_report_rows(request: ExportRequest):
    """The campaign's figures by fund, by kind of donor, by unit and by day, in one file (6 queries).

    The first column says which breakdown a row belongs to; each breakdown adds up to the campaign's
    own totals, so the manifest's sums count the money once per breakdown (by day: received only).
    The figures are the campaign page's (`donations.progress`): an unconfirmed pledge typed into the
    public form counts only what was received on it.
    """
    campaign = request.params["campaign"]
    if request.unit_ids is not None and campaign.unit_id not in request.unit_ids:
        return
    breakdowns = (
        (_("quỹ"), progress_by_fund), (_("loại nhà hảo tâm"), progress_by_donor_kind), (_("đơn vị"), progress_by_unit),
    )
    for title, breakdown in breakdowns:
        for share in breakdown(campaign):
            yield str(title), share.label, None, share.pledged, share.received, share.pledge_count
    for day, received in received_by_day(campaign):
        yield str(_("ngày")), day.isoformat(), day, None, received, None


# --- donors ----------------------------------------------------------------------------------------------
class DonorsForm(forms.Form):
    kind = forms.ChoiceField(label=_("loại"), choices=[("", _("Tất cả"))] + list(Donor.Kind.choices), required=False)


DONOR_COLUMNS = (
    Column(_("mã nhà hảo tâm"), INTEGER),
    Column(_("loại")),
    Column(_("họ tên / tên đơn vị")),
    Column(_("e-mail")),
    Column(_("điện thoại")),
    Column(_("mã số thuế")),
    Column(_("địa chỉ")),
    Column(_("đơn vị")),
    Column(_("đồng ý ghi danh bảng vàng")),
    Column(_("ngày tạo hồ sơ"), DATE),
    Column(_("tổng cam kết"), AMOUNT),
    Column(_("đã nộp"), AMOUNT),
)
# The donor's contacts, in the columns' order; masked the audit trail's way unless personal.
DONOR_CONTACT_FIELDS = ("email", "phone", "tax_code", "address")


def donors_queryset(request: ExportRequest):
    """Donors not merged into another record, of the request's units (and kind)."""
    donors = units_queryset(Donor.objects.filter(merged_into__isnull=True), request.unit_ids)
    if request.params.get("kind"):
        donors = donors.filter(kind=request.params["kind"])
    return donors


def donors_rows(request: ExportRequest):
    """The donors with what they pledged and paid: one query."""
    donors = donor_totals(donors_queryset(request)).select_related("unit").order_by("unit__path", "pk")
    kinds = personal_fields("donations.donor")
    for donor in donors.iterator(chunk_size=CHUNK):
        contacts = [getattr(donor, field) for field in DONOR_CONTACT_FIELDS]
        if not request.personal:
            contacts = [mask_value(value, kinds[field]) for field, value in zip(DONOR_CONTACT_FIELDS, contacts, strict=True)]
        yield (
            donor.pk, donor.get_kind_display(), donor.name, *contacts, donor.unit.name,
            yes_no(donor.honor_roll_consent), timezone.localtime(donor.created_at).date(),
            donor.pledged_total, donor.paid_total,
        )


EXPORTERS = (
    Exporter(
        name="pledges_outstanding", title=_("Cam kết còn phải nộp và quá hạn"), domain=Domain.MONEY,
        columns=PLEDGES_OUTSTANDING_COLUMNS, rows=pledges_outstanding_rows, form=PledgesOutstandingForm,
        count=lambda request: pledges_outstanding_queryset(request).count(),
        description=_("Từng cam kết với số đã nộp, số còn phải nộp, số đến hạn chưa nộp và số quá hạn "
                      "tại một ngày; lọc theo chiến dịch."),
    ),
    Exporter(
        name="campaign_report", title=_("Báo cáo chiến dịch"), domain=Domain.MONEY,
        columns=CAMPAIGN_REPORT_COLUMNS, rows=campaign_report_rows, form=CampaignReportForm,
        pdf=True, pdf_chart=campaign_report_chart,
        description=_("Theo quỹ, loại nhà hảo tâm, đơn vị và ngày."),
    ),
    Exporter(
        name="donors", title=_("Danh sách nhà hảo tâm"), domain=Domain.MONEY,
        columns=DONOR_COLUMNS, rows=donors_rows, form=DonorsForm,
        count=lambda request: donors_queryset(request).count(),
        description=_("Hồ sơ nhà hảo tâm với liên lạc, mã số thuế, đồng ý ghi danh, tổng cam kết và "
                      "tổng đã nộp; lọc theo loại."),
    ),
)
