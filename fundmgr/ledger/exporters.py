"""The ledger's books as exporters (`fundmgr.core.exporting`): general journal, cash and bank
books, trial balance and fund statement.

Each exporter reads only the entries posted by the units of `request.unit_ids` (None: every
unit); a fund or unit chosen in the parameters outside that scope gives no rows. Parameters come
from `LedgerPeriodForm` (dates, fund, unit); the reports app passes its `cleaned_data`.

- `general_journal`: one row per journal line, in chain order (entry pk, then line pk), carrying
  everything the entry's hash covers, so that the script in `docs/ledger.md` recomputes the chain
  from the CSV alone (on an unfiltered export: a filtered one leaves out links of the chain).
  Rows are read in pk batches, so memory stays flat for millions of lines. For a consistent
  file, run it inside one REPEATABLE READ transaction (`snapshot=True`; `export_ledger` opens one).
- `cash_book`, `bank_book`: the lines of account 111 / 112 in date order with an opening row, a
  running balance and a closing row.
- `trial_balance`: per account and fund, opening, debit and credit movements, closing, summed by
  the database (one GROUP BY). Balances are signed: debit positive, credit negative, so the
  closing balances of all rows add up to zero.
- `fund_statement`: per fund, opening, money in and money out, closing. The ledger imports no
  feature app and an entry names its document only by type and id, so the features register
  groupers (`fundmgr.ledger.sources`): money in by campaign, money out by scholarship program;
  documents of other types are grouped by account and the document's type (interest, transfers).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField, Case, CharField, ExpressionWrapper, F, Q, Sum, Value, When
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fundmgr.core.exporting import (
    AMOUNT,
    DATE,
    EXACT,
    INTEGER,
    TEXT,
    Column,
    Exporter,
    ExportRequest,
    HashingWriter,
    Manifest,
)
from fundmgr.core.spreadsheet import spreadsheet_safe
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Domain

from . import accounts
from .hashing import source_label
from .models import Account, Fund, JournalEntry, JournalLine
from .sources import source_groupers, source_groups

# The machine names of the general journal's columns, in their order (docs/ledger.md).
AUDIT_COLUMNS = [
    "entry_id", "date", "unit", "memo", "source", "reverses_hash", "reversal_reason",
    "previous_hash", "hash", "account", "fund", "debit", "credit",
]
GENERAL_JOURNAL_COLUMNS = (
    Column(_("Số bút toán"), INTEGER),
    Column(_("Ngày hạch toán"), DATE),
    Column(_("Đơn vị"), EXACT),
    Column(_("Diễn giải"), EXACT),
    Column(_("Chứng từ gốc"), EXACT),
    Column(_("Mã băm bút toán bị đảo"), EXACT),
    Column(_("Lý do đảo"), EXACT),
    Column(_("Mã băm trước"), EXACT),
    Column(_("Mã băm"), EXACT, last_in_manifest=True),
    Column(_("Tài khoản"), EXACT),
    Column(_("Quỹ"), EXACT),
    Column(_("Nợ"), AMOUNT),
    Column(_("Có"), AMOUNT),
)


class LedgerPeriodForm(forms.Form):
    date_from = forms.DateField(label=_("Từ ngày"), required=False)
    date_to = forms.DateField(label=_("Đến ngày"), required=False)
    fund = forms.ModelChoiceField(label=_("Quỹ"), queryset=Fund.objects.all(), required=False)
    unit = forms.ModelChoiceField(
        label=_("Đơn vị"), queryset=OrgUnit.objects.all(), required=False,
        help_text=_("Bút toán do đơn vị này và các đơn vị trực thuộc ghi."),
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("“Từ ngày” phải không sau “Đến ngày”."))
        return data


# --- scope ---------------------------------------------------------------------------------------
def _entry_filter(request: ExportRequest, *, prefix: str = "", dates: bool = True) -> Q | None:
    """The entries (or, with prefix "entry__", the lines) the request may read; None: nothing.

    Date bounds are left to the caller with `dates=False` (books need the lines before the period
    for their opening balance).
    """
    params = request.params or {}
    condition = Q()
    if request.unit_ids is not None:
        condition &= Q(**{f"{prefix}unit_id__in": sorted(request.unit_ids)})
    unit = params.get("unit")
    if unit is not None:
        if request.unit_ids is not None and unit.pk not in request.unit_ids:
            return None
        condition &= Q(**{f"{prefix}unit__path__startswith": unit.path})
    fund = params.get("fund")
    if fund is not None and request.unit_ids is not None and fund.unit_id not in request.unit_ids:
        return None
    if dates:
        if params.get("date_from"):
            condition &= Q(**{f"{prefix}date__gte": params["date_from"]})
        if params.get("date_to"):
            condition &= Q(**{f"{prefix}date__lte": params["date_to"]})
    return condition


def _line_filter(request: ExportRequest, *, dates: bool = True) -> Q | None:
    condition = _entry_filter(request, prefix="entry__", dates=dates)
    if condition is not None and request.params.get("fund") is not None:
        condition &= Q(fund_id=request.params["fund"].pk)
    return condition


# --- general journal -----------------------------------------------------------------------------
def general_journal_rows(request: ExportRequest, *, batch_size: int = 10_000) -> Iterator[list]:
    """[entry id, date, unit, memo, source, reverses hash, reversal reason, previous hash, hash,
    account, fund, debit, credit] per line, in chain order.

    Per batch of entries: one query for the entries and one for their lines (an `entry_id` range,
    narrowed by the same filters when there are any). Codes are read once into dicts.
    """
    entries_filter = _entry_filter(request)
    lines_filter = _line_filter(request)
    if entries_filter is None or lines_filter is None:
        return
    filtered = bool(lines_filter)
    account_codes = dict(Account.objects.values_list("pk", "code"))
    fund_codes = dict(Fund.objects.values_list("pk", "code"))
    unit_codes = dict(OrgUnit.objects.values_list("pk", "code"))
    source_types = {pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}
    after_pk = 0
    while True:
        entries = list(
            JournalEntry.objects.filter(entries_filter, pk__gt=after_pk)
            .order_by("pk")
            .values_list(
                "pk", "date", "unit_id", "memo", "source_type_id", "source_id", "reverses__hash",
                "reversal_reason", "previous_hash", "hash",
            )[:batch_size]
        )
        if not entries:
            return
        by_pk = {entry[0]: entry for entry in entries}
        lines = JournalLine.objects.filter(entry_id__gte=entries[0][0], entry_id__lte=entries[-1][0])
        if filtered:
            lines = lines.filter(lines_filter)
        for entry_id, account_id, fund_id, debit, credit in lines.order_by("entry_id", "pk").values_list(
            "entry_id", "account_id", "fund_id", "debit", "credit"
        ):
            pk, date, unit_id, memo, type_id, source_id, reverses_hash, reason, previous, digest = by_pk[entry_id]
            source = source_label(*source_types[type_id], source_id) if type_id else ""
            yield [
                pk, date, unit_codes[unit_id], memo, source, reverses_hash or "", reason,
                previous, digest, account_codes[account_id], fund_codes[fund_id], debit, credit,
            ]
        if len(entries) < batch_size:
            return
        after_pk = entries[-1][0]


def general_journal_count(request: ExportRequest) -> int:
    condition = _line_filter(request)
    return 0 if condition is None else JournalLine.objects.filter(condition).count()


def ledger_audit_rows(*, batch_size: int = 10_000) -> Iterator[list]:
    """The whole general journal (every unit, no filter): the rows the auditor's script checks."""
    return general_journal_rows(ExportRequest(params={}), batch_size=batch_size)


# --- the general journal's CSV by COPY (PostgreSQL) -----------------------------------------------
# `COPY ... TO STDOUT (FORMAT csv)` quotes a field exactly when `csv.writer` does (it holds a comma,
# a quote, CR or LF; quotes doubled), with two differences this path undoes: PostgreSQL quotes an
# empty string (its NULL is the unquoted empty field), so empty texts are selected as NULL; and it
# ends rows with LF where `csv.writer` writes CRLF. Each COPY row arrives as one chunk, so a batch
# whose LFs are all row ends (no memo with a line break) is converted with one replace.
# tests/ledger/test_exporters.py holds the two paths to the same bytes and the same manifest.
def _journal_copy_sql(lines_filter: Q) -> tuple[str, list]:
    entry, line = JournalEntry._meta.db_table, JournalLine._meta.db_table
    source = "CASE WHEN e.source_type_id IS NULL THEN '' ELSE t.app_label || '.' || t.model || ':' || e.source_id END"
    texts = ["u.code", "e.memo", source, "r.hash", "e.reversal_reason", "e.previous_hash", "e.hash", "a.code", "f.code"]
    unit, memo, source, reverses, reason, previous, digest, account, fund = (f"NULLIF({text}, '')" for text in texts)
    where, params = "", []
    if lines_filter:
        ids_sql, params = JournalLine.objects.filter(lines_filter).values("pk").query.sql_with_params()
        where = f" WHERE l.id IN ({ids_sql})"
    sql = (
        f"SELECT e.id, to_char(e.date, 'YYYY-MM-DD'), {unit}, {memo}, {source}, {reverses}, {reason}, {previous},"
        f" {digest}, {account}, {fund}, l.debit, l.credit"
        f" FROM {line} l JOIN {entry} e ON e.id = l.entry_id LEFT JOIN {entry} r ON r.id = e.reverses_id"
        f" JOIN {OrgUnit._meta.db_table} u ON u.id = e.unit_id JOIN {Account._meta.db_table} a ON a.id = l.account_id"
        f" JOIN {Fund._meta.db_table} f ON f.id = l.fund_id LEFT JOIN {ContentType._meta.db_table} t"
        f" ON t.id = e.source_type_id{where} ORDER BY l.entry_id, l.id"
    )
    return sql, list(params)


def general_journal_csv_by_copy(request: ExportRequest, target, *, progress=None, every: int = 5000) -> Manifest | None:
    """The general journal's CSV, byte for byte as `write_csv` over `general_journal_rows` writes it,
    with the same manifest; None off PostgreSQL. Like the generic path, consistent inside the caller's
    REPEATABLE READ transaction (the totals are a second statement)."""
    if connection.vendor != "postgresql":
        return None
    columns = GENERAL_JOURNAL_COLUMNS
    header = io.StringIO()
    csv.writer(header).writerow([spreadsheet_safe(str(column.label)) for column in columns])
    sink = HashingWriter(target)
    sink.write(("\ufeff" + header.getvalue()).encode("utf-8"))
    manifest = Manifest()
    last_line = b""
    lines_filter = _line_filter(request)
    totals = {"debit": 0, "credit": 0}
    if lines_filter is not None:
        sql, params = _journal_copy_sql(lines_filter)
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params or None) as copy:
            batch: list = []
            for data in copy:
                batch.append(data)
                if len(batch) == every:
                    last_line = _copy_batch_write(batch, sink)
                    manifest.rows += len(batch)
                    batch = []
                    if progress is not None:
                        progress(manifest.rows)
            if batch:
                last_line = _copy_batch_write(batch, sink)
                manifest.rows += len(batch)
        totals = JournalLine.objects.filter(lines_filter).aggregate(
            debit=Sum("debit", default=0), credit=Sum("credit", default=0)
        )
    manifest.totals = {str(columns[11].label): totals["debit"], str(columns[12].label): totals["credit"]}
    if manifest.rows:
        manifest.last = {str(columns[8].label): next(csv.reader(io.StringIO(last_line.decode("utf-8"), newline="")))[8]}
    if progress is not None:
        progress(manifest.rows)
    manifest.sha256, manifest.size = sink.digest.hexdigest(), sink.size
    return manifest


def _copy_batch_write(batch: list, sink) -> bytes:
    """Write a batch of COPY rows (each ending in LF) with CRLF row ends; return the last row."""
    block = b"".join(batch)
    if block.count(b"\n") == len(batch):  # every LF ends a row
        sink.write(block.replace(b"\n", b"\r\n"))
    else:
        sink.write(b"".join(bytes(row[:-1]) + b"\r\n" for row in batch))
    return bytes(batch[-1])


# --- cash and bank books -------------------------------------------------------------------------
BOOK_COLUMNS = (
    Column(_("Ngày hạch toán"), DATE),
    Column(_("Số bút toán"), INTEGER),
    Column(_("Diễn giải"), TEXT),
    Column(_("Chứng từ gốc"), TEXT),
    Column(_("Quỹ"), TEXT),
    Column(_("Số tiền thu"), AMOUNT),
    Column(_("Số tiền chi"), AMOUNT),
    Column(_("Số tồn"), AMOUNT),
)


def _book_rows(account_code: str, request: ExportRequest) -> Iterator[list]:
    condition = _line_filter(request, dates=False)
    if condition is None:
        return
    params = request.params or {}
    date_from, date_to = params.get("date_from"), params.get("date_to")
    lines = JournalLine.objects.filter(condition, account__code=account_code).order_by()
    opening = 0
    if date_from:
        opening = lines.filter(entry__date__lt=date_from).aggregate(total=Sum(F("debit") - F("credit"), default=0))["total"]
    period = lines
    if date_from:
        period = period.filter(entry__date__gte=date_from)
    if date_to:
        period = period.filter(entry__date__lte=date_to)
    source_types = {pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}
    yield [date_from, None, gettext("Số dư đầu kỳ"), "", "", None, None, opening]
    balance = opening
    # A server-side cursor on PostgreSQL, chunked fetches on SQLite: the lines stream.
    for date, entry_id, memo, type_id, source_id, fund_code, debit, credit in period.order_by(
        "entry__date", "entry_id", "pk"
    ).values_list(
        "entry__date", "entry_id", "entry__memo", "entry__source_type_id", "entry__source_id", "fund__code",
        "debit", "credit",
    ).iterator(chunk_size=5_000):
        balance += debit - credit
        source = source_label(*source_types[type_id], source_id) if type_id else ""
        yield [date, entry_id, memo, source, fund_code, debit or None, credit or None, balance]
    yield [date_to, None, gettext("Số dư cuối kỳ"), "", "", None, None, balance]


def cash_book_rows(request: ExportRequest) -> Iterator[list]:
    return _book_rows(accounts.CASH, request)


def bank_book_rows(request: ExportRequest) -> Iterator[list]:
    return _book_rows(accounts.BANK, request)


# --- trial balance -------------------------------------------------------------------------------
TRIAL_BALANCE_COLUMNS = (
    Column(_("Tài khoản"), TEXT),
    Column(_("Tên tài khoản"), TEXT),
    Column(_("Quỹ"), TEXT),
    Column(_("Tên quỹ"), TEXT),
    Column(_("Số dư đầu kỳ"), AMOUNT),
    Column(_("Phát sinh Nợ"), AMOUNT),
    Column(_("Phát sinh Có"), AMOUNT),
    Column(_("Số dư cuối kỳ"), AMOUNT),
)


def _period_sums(request: ExportRequest, condition: Q):
    """Lines up to the end of the period with, per group, `opening` (before the period, debit −
    credit), `debit` and `credit` (in it): conditional sums in one query."""
    params = request.params or {}
    date_from, date_to = params.get("date_from"), params.get("date_to")
    lines = JournalLine.objects.filter(condition).order_by()
    if date_to:
        lines = lines.filter(entry__date__lte=date_to)
    before = Q(entry__date__lt=date_from) if date_from else Q(pk__in=[])
    inside = Q(entry__date__gte=date_from) if date_from else Q()
    return lines, {
        "opening": Sum(F("debit") - F("credit"), filter=before, default=0),
        "period_debit": Sum("debit", filter=inside, default=0),
        "period_credit": Sum("credit", filter=inside, default=0),
    }


def trial_balance_rows(request: ExportRequest) -> Iterator[list]:
    condition = _line_filter(request, dates=False)
    if condition is None:
        return
    lines, sums = _period_sums(request, condition)
    groups = (
        lines.values("account__code", "account__name", "fund__code", "fund__name")
        .annotate(**sums)
        .order_by("account__code", "fund__code")
    )
    for group in groups:
        closing = group["opening"] + group["period_debit"] - group["period_credit"]
        yield [
            group["account__code"], group["account__name"], group["fund__code"], group["fund__name"],
            group["opening"], group["period_debit"], group["period_credit"], closing,
        ]


# --- fund statement ------------------------------------------------------------------------------
FUND_STATEMENT_COLUMNS = (
    Column(_("Quỹ"), TEXT),
    Column(_("Khoản mục"), TEXT),
    Column(_("Số tiền thu"), AMOUNT),
    Column(_("Số tiền chi"), AMOUNT),
    Column(_("Số dư"), AMOUNT),
)


def _source_kind_name(source_types: dict, type_id: int | None) -> str:
    if type_id is None:
        return ""
    app_label, model = source_types[type_id]
    try:
        return str(apps.get_model(app_label, model)._meta.verbose_name)
    except LookupError:
        return f"{app_label}.{model}"


def fund_statement_rows(request: ExportRequest) -> Iterator[list]:
    """Per fund: the opening balance (its asset accounts), then money in and money out in the period,
    then the closing balance.

    Every entry balances per fund, so what a fund's assets gain equals what its other accounts are
    credited less what they are debited: money in is the credits to non-asset accounts (donations,
    interest, transfers in, principal), money out the debits (scholarships, transfers out,
    reversals of donations).

    Documents whose type has a grouper (`fundmgr.ledger.sources`: a payment → its campaign, a
    disbursement → its program) are summed per group label, across accounts; the others by account
    and kind of source document. Queries: the balances, the movements (summed by the database per
    account, source type and, for grouped types only, source id), the content types, one per grouped
    type present, the funds: six with payments and disbursements, whatever the number of entries.
    """
    condition = _line_filter(request, dates=False)
    if condition is None:
        return
    params = request.params or {}
    lines, sums = _period_sums(request, condition)
    assets = Q(account__kind=Account.Kind.ASSET)
    balances = {
        row["fund_id"]: row
        for row in lines.filter(assets).values("fund_id").annotate(**sums)
    }
    source_types = {pk: (app, model) for pk, app, model in ContentType.objects.values_list("pk", "app_label", "model")}
    groupers = source_groupers()
    grouped_type_ids = sorted(pk for pk, (app, model) in source_types.items() if f"{app}.{model}" in groupers)
    inside = Q(entry__date__gte=params["date_from"]) if params.get("date_from") else Q()
    movements = list(
        lines.filter(inside).exclude(assets)
        .values("fund_id", "account__code", "account__name", "entry__source_type_id",
                source=Case(When(entry__source_type_id__in=grouped_type_ids, then=F("entry__source_id")),
                            default=Value(""), output_field=CharField()),
                reversal=ExpressionWrapper(Q(entry__reverses__isnull=False), output_field=BooleanField()))
        .annotate(money_in=Sum("credit"), money_out=Sum("debit"))
        .order_by()
    )
    ids_by_type: dict[int, set[str]] = {}
    for row in movements:
        if row["source"]:
            ids_by_type.setdefault(row["entry__source_type_id"], set()).add(row["source"])
    groups = {
        type_id: source_groups("{}.{}".format(*source_types[type_id]), ids)
        for type_id, ids in sorted(ids_by_type.items())
    }
    # {fund id: {(side, item): amount}}: rows of one group (or one account and kind) add up.
    items: dict[int, dict[tuple[str, str], int]] = {}
    for row in movements:
        group = groups.get(row["entry__source_type_id"], {}).get(row["source"])
        if group is None:
            item = f"{row['account__code']} {row['account__name']}"
            kind = _source_kind_name(source_types, row["entry__source_type_id"])
            if kind:
                item += f" – {kind}"
        else:
            item = group
        if row["reversal"]:
            item += " – " + gettext("bút toán đảo")
        fund_items = items.setdefault(row["fund_id"], {})
        for side, key in (("in", "money_in"), ("out", "money_out")):
            if row[key]:
                fund_items[side, item] = fund_items.get((side, item), 0) + row[key]
    fund_ids = set(balances) | set(items)
    for fund in Fund.objects.filter(pk__in=fund_ids).order_by("code"):
        balance = balances.get(fund.pk, {"opening": 0, "period_debit": 0, "period_credit": 0})
        opening = balance["opening"]
        label = f"{fund.code} {fund.name}"
        yield [label, gettext("Số dư đầu kỳ"), None, None, opening]
        fund_items = items.get(fund.pk, {})
        for side in ("in", "out"):
            for (item_side, item), amount in sorted(fund_items.items()):
                if item_side == side:
                    yield [label, item, amount, None, None] if side == "in" else [label, item, None, amount, None]
        closing = opening + balance["period_debit"] - balance["period_credit"]
        yield [label, gettext("Số dư cuối kỳ"), None, None, closing]


def fund_statement_totals(
    request: ExportRequest, *, fund_ids=None, entry_ids: tuple[int, int] | None = None
) -> dict[int, tuple[int, int, int, int]]:
    """{fund id: (opening, money in, money out, closing)} of `fund_ids` (None: every fund): the
    totals of `fund_statement_rows`, with its definitions (a fund's assets for the balances,
    credits and debits to its other accounts for money in and out) but without its breakdown by
    source, in one GROUP BY. For a page that needs a few funds' balances (the public statement):
    the breakdown groups payments one by one, as many rows as there are payments.
    tests/public/test_statement.py holds the two to the same figures.

    `entry_ids=(after, through)` sums only the lines of the entries with `after < id <= through`:
    every figure is a sum of lines, so the totals over (0, b] are those over (0, a] plus those over
    (a, b] (the public statement adds the entries posted since its last summary that way)."""
    condition = _line_filter(request, dates=False)
    if condition is None:
        return {}
    if fund_ids is not None:
        condition &= Q(fund_id__in=sorted(fund_ids))
    if entry_ids is not None:
        condition &= Q(entry_id__gt=entry_ids[0], entry_id__lte=entry_ids[1])
    params = request.params or {}
    lines, _sums = _period_sums(request, condition)
    assets = Q(account__kind=Account.Kind.ASSET)
    before = Q(entry__date__lt=params["date_from"]) if params.get("date_from") else Q(pk__in=[])
    inside = Q(entry__date__gte=params["date_from"]) if params.get("date_from") else Q()
    rows = lines.values("fund_id").annotate(
        opening=Sum(F("debit") - F("credit"), filter=assets & before, default=0),
        assets_change=Sum(F("debit") - F("credit"), filter=assets & inside, default=0),
        money_in=Sum("credit", filter=~assets & inside, default=0),
        money_out=Sum("debit", filter=~assets & inside, default=0),
    )
    return {
        row["fund_id"]: (row["opening"], row["money_in"], row["money_out"], row["opening"] + row["assets_change"])
        for row in rows
    }


# --- registration --------------------------------------------------------------------------------
def exporters_register() -> None:
    """Called by `LedgerConfig.ready()`."""
    from fundmgr.core.exporting import register

    from .exporter_charts import fund_statement_chart

    common = {"domain": Domain.LEDGER, "form": LedgerPeriodForm, "snapshot": True}
    register(Exporter(
        name="general_journal", title=_("Sổ nhật ký chung"), columns=GENERAL_JOURNAL_COLUMNS,
        rows=general_journal_rows, count=general_journal_count, fast_writers={"csv": general_journal_csv_by_copy},
        description=_("Mọi dòng bút toán kèm chuỗi mã băm; xuất không lọc thì kiểm được chuỗi bằng script trong docs/ledger.md."),
        **common,
    ))
    register(Exporter(
        name="cash_book", title=_("Sổ quỹ tiền mặt"), columns=BOOK_COLUMNS, rows=cash_book_rows,
        description=_("Tài khoản 111: số dư đầu kỳ, từng dòng thu chi với số tồn, số dư cuối kỳ."), **common,
    ))
    register(Exporter(
        name="bank_book", title=_("Sổ tiền gửi ngân hàng"), columns=BOOK_COLUMNS, rows=bank_book_rows,
        description=_("Tài khoản 112: số dư đầu kỳ, từng dòng thu chi với số tồn, số dư cuối kỳ."), **common,
    ))
    register(Exporter(
        name="trial_balance", title=_("Bảng cân đối số phát sinh"), columns=TRIAL_BALANCE_COLUMNS,
        rows=trial_balance_rows, pdf=True,
        description=_("Theo tài khoản và quỹ: số dư đầu kỳ, phát sinh Nợ, phát sinh Có, số dư cuối kỳ (Nợ dương, Có âm)."),
        **common,
    ))
    register(Exporter(
        name="fund_statement", title=_("Báo cáo thu chi quỹ"), columns=FUND_STATEMENT_COLUMNS,
        rows=fund_statement_rows, pdf=True, pdf_chart=fund_statement_chart,
        description=_("Theo quỹ: số dư đầu kỳ, thu theo nguồn (chiến dịch), chi theo chương trình, số dư cuối kỳ."),
        **common,
    ))
