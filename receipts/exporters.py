"""The receipts register (sổ đăng ký phiếu thu): every receipt issued, voided ones included.

A voided receipt keeps its line and its number, with the reason and the moment it was voided, and
its reversal as a negative amount in the "voided" column: the sum of the two amount columns is the
money the receipts still certify. The cells are what the receipt certified when it was issued (its
frozen copies), never today's donor record. The payer's address is masked unless `request.personal`,
as the audit trail masks it. Registered by `ReceiptsConfig.ready()`.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundmgr.audit.masking import mask_value, personal_fields
from fundmgr.core.exporting import AMOUNT, DATE, EXACT, Column, Exporter, ExportRequest
from fundmgr.orgs.roles import Domain
from fundmgr.orgs.scoping import units_queryset

from .models import Receipt

CHUNK = 2_000


class ReceiptsRegisterForm(forms.Form):
    date_from = forms.DateField(label=_("từ ngày"), required=False)
    date_to = forms.DateField(label=_("đến ngày"), required=False)
    state = forms.ChoiceField(
        label=_("trạng thái"), required=False, choices=[("", _("Tất cả"))] + list(Receipt.State.choices),
    )


COLUMNS = (
    Column(_("số phiếu"), EXACT),
    Column(_("ngày lập phiếu"), DATE),
    Column(_("đơn vị thu")),
    Column(_("họ và tên người nộp tiền")),
    Column(_("địa chỉ người nộp")),
    Column(_("lý do nộp")),
    Column(_("quỹ")),
    Column(_("hình thức")),
    Column(_("số tiền"), AMOUNT),
    Column(_("trạng thái")),
    Column(_("ghi giảm do hủy"), AMOUNT),
    Column(_("lý do hủy")),
    Column(_("thời điểm hủy"), EXACT),
)


def receipts_queryset(request: ExportRequest):
    """The receipts of the request's units, dates and state."""
    params = request.params
    receipts = units_queryset(Receipt.objects.all(), request.unit_ids)
    if params.get("date_from"):
        receipts = receipts.filter(receipt_date__gte=params["date_from"])
    if params.get("date_to"):
        receipts = receipts.filter(receipt_date__lte=params["date_to"])
    if params.get("state"):
        receipts = receipts.filter(state=params["state"])
    return receipts


def receipts_register_rows(request: ExportRequest):
    """The receipts by unit, year and number: one query."""
    receipts = receipts_queryset(request).order_by("unit__path", "year", "sequence")
    address_kind = personal_fields("receipts.receipt")["payer_address"]
    for receipt in receipts.iterator(chunk_size=CHUNK):
        voided = receipt.state == Receipt.State.VOIDED
        address = receipt.payer_address if request.personal else mask_value(receipt.payer_address, address_kind)
        yield (
            receipt.number, receipt.receipt_date, receipt.unit_name, receipt.payer_name, address, receipt.reason,
            receipt.fund_name, receipt.get_payment_method_display(), receipt.amount, receipt.get_state_display(),
            -receipt.amount if voided else 0, receipt.void_reason,
            timezone.localtime(receipt.voided_at).isoformat(timespec="seconds") if voided else "",
        )


RECEIPTS_REGISTER = Exporter(
    name="receipts_register", title=_("Sổ đăng ký phiếu thu"), domain=Domain.MONEY, columns=COLUMNS,
    rows=receipts_register_rows, form=ReceiptsRegisterForm, count=lambda request: receipts_queryset(request).count(),
    description=_("Mọi phiếu thu, kể cả phiếu đã hủy với lý do hủy."),
)
