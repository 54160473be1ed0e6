"""Pledges from a file a treasurer uploads (CSV or XLSX): one pledge per row, all or nothing."""

from __future__ import annotations

import dataclasses
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from donations.models import Donor, Pledge
from fundmgr.core.contacts import name_normalize
from fundmgr.core.money import AmountError
from fundmgr.core.tabular import columns_find, table_read

from .pledges import pledge_create

logger = logging.getLogger(__name__)


# --- pledges from a file (CSV or XLSX) ----------------------------------------------------------

# Column headers of a pledge import file (compared without diacritics or case); see
# docs/bank-statements.md, "Importing pledges".
PLEDGE_IMPORT_COLUMNS = {
    "donor_name": ("Họ tên", "Tên nhà hảo tâm", "Tên"),
    "donor_kind": ("Loại",),
    "email": ("E-mail", "Email"),
    "phone": ("Điện thoại", "Số điện thoại"),
    "tax_code": ("Mã số thuế", "MST"),
    "address": ("Địa chỉ",),
    "amount": ("Số tiền",),
    "fund": ("Quỹ", "Mã quỹ"),
    "installments": ("Số đợt",),
    "anonymous": ("Ẩn danh",),
    "list_on_honor_roll": ("Ghi danh bảng vàng", "Bảng vàng"),
    "message": ("Lời nhắn",),
}
_KIND_WORDS = {
    **{name_normalize(str(label)): value for value, label in Donor.Kind.choices},
    **{value: value for value in Donor.Kind.values},
    "ca nhan": Donor.Kind.INDIVIDUAL, "doanh nghiep": Donor.Kind.BUSINESS, "co quan": Donor.Kind.AGENCY,
    "to chuc": Donor.Kind.ORGANISATION, "": Donor.Kind.INDIVIDUAL,
}
_YES = {"co", "x", "1", "true", "yes", "dong y"}


@dataclasses.dataclass
class PledgeImportResult:
    created: int
    existing: int  # rows imported before (the same file, or the same row in another file)
    pledges: list


def pledges_import(*, campaign: Campaign, content: bytes, created_by=None) -> PledgeImportResult:
    """Create the pledges of a CSV or XLSX file (channel import), all or none.

    Every row goes through `pledge_create`. Each row's idempotency key is a hash of the campaign,
    the row's content and its occurrence in the file, so importing the same file again creates
    nothing. Any invalid row refuses the whole file: ValidationError listing each row's errors.
    """
    import hashlib

    from fundmgr.core.money import parse_vnd

    table = table_read(content)
    columns = columns_find(table.header, PLEDGE_IMPORT_COLUMNS)
    missing = [PLEDGE_IMPORT_COLUMNS[field][0] for field in ("donor_name", "amount") if field not in columns]
    if missing:
        raise ValidationError(
            _("Tệp thiếu cột: %(columns)s.") % {"columns": ", ".join(missing)}, code="missing_columns"
        )
    funds = {fund.code.casefold(): fund for fund in campaign.funds.all()}
    errors, pledges, created_count, seen = [], [], 0, {}
    with transaction.atomic():
        for row in table.body:
            line_number = row.number

            def cell(field, row=row):
                return row.cell(columns.get(field))

            row_errors = []
            try:
                amount = parse_vnd(cell("amount"))
            except AmountError as error:
                amount, row_errors = None, [f"{PLEDGE_IMPORT_COLUMNS['amount'][0]}: {error.message}"]
            kind = _KIND_WORDS.get(name_normalize(cell("donor_kind")))
            if kind is None:
                row_errors.append(_("Loại nhà hảo tâm không hợp lệ."))
            fund = None
            if cell("fund"):
                fund = funds.get(cell("fund").casefold())
                if fund is None:
                    row_errors.append(_("Quỹ này không nhận ủng hộ trong chiến dịch."))
            installments_text = cell("installments") or "1"
            installments = int(installments_text) if installments_text.isdigit() else 0
            if row_errors:
                errors.append((line_number, row_errors))
                continue
            identity = "\x1f".join([str(campaign.pk), *(cell(field) for field in PLEDGE_IMPORT_COLUMNS)])
            seen[identity] = seen.get(identity, 0) + 1
            key = "import-" + hashlib.sha256(f"{identity}\x1f{seen[identity]}".encode()).hexdigest()[:50]
            try:
                pledge, created = pledge_create(
                    campaign=campaign, donor_name=cell("donor_name"), donor_kind=kind, email=cell("email"),
                    phone=cell("phone"), tax_code=cell("tax_code"), address=cell("address"), amount=amount,
                    fund=fund, installments=installments,
                    anonymous=name_normalize(cell("anonymous")) in _YES,
                    list_on_honor_roll=name_normalize(cell("list_on_honor_roll")) in _YES,
                    message=cell("message"), channel=Pledge.Channel.IMPORT, idempotency_key=key,
                    created_by=created_by,
                )
            except ValidationError as error:
                errors.append((line_number, error.messages))
                continue
            pledges.append(pledge)
            created_count += created
        if errors:
            # Nothing of a file with errors is kept (raising rolls the block back): the treasurer
            # fixes the file and imports it again.
            raise ValidationError(
                [
                    ValidationError(_("Dòng %(line)d: %(errors)s") % {"line": line, "errors": " ".join(messages)})
                    for line, messages in errors[:50]
                ]
            )
    return PledgeImportResult(created=created_count, existing=len(pledges) - created_count, pledges=pledges)


