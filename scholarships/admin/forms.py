"""The forms of the scholarship pipeline's admin pages and actions (one place, at module level).
"""

from __future__ import annotations

import json

from django import forms
from django.contrib.admin.widgets import AdminDateWidget, AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fundmgr.adminkit.forms import AmountField, TableFileField, UploadForm
from fundmgr.ledger.models import Circumstance, Fund
from fundmgr.orgs.models import OrgUnit
from fundmgr.orgs.roles import Action, Domain, roles_with
from fundmgr.orgs.scoping import scope_queryset, visible_units

from .. import scoring, selectors
from ..models import (
    Disbursement,
    Nomination,
    ScholarshipProgram,
    Student,
)
from ..privacy import masked_value


class _PairWidget(forms.MultiWidget):
    template_name = "django/forms/widgets/multiwidget.html"

    def decompress(self, value):
        return list(value) if value else [None, None]


class _PairField(forms.MultiValueField):
    """One row of two inputs (a fund and its budget, a unit and its quota); an empty row is None."""

    def __init__(self, first, second, *, incomplete_message, **kwargs):
        first.required = second.required = False
        super().__init__(
            fields=(first, second), require_all_fields=False, required=False,
            widget=_PairWidget([first.widget, second.widget]), **kwargs,
        )
        self.incomplete_message = incomplete_message

    def set_queryset(self, queryset):
        # The form copies its fields, and the widget was copied apart from the sub-field: set both.
        self.fields[0].queryset = queryset
        self.widget.widgets[0].choices = self.fields[0].choices

    def compress(self, data_list):
        first, second = (list(data_list) + [None, None])[:2]
        if first in self.empty_values and second in self.empty_values:
            return None
        if first in self.empty_values or second in self.empty_values:
            raise ValidationError(self.incomplete_message, code="incomplete")
        return first, second


class _FundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, fund):
        return f"{fund.code} – {fund.name}"


FUND_ROWS = 4
QUOTA_ROWS = 4
# A starting point the committee edits: points for circumstances, the average score and the rank.
# The facts a rubric may name are those of `awards.student_facts`.
RUBRIC_EXAMPLE = [
    {"code": "poor", "label": "Hộ nghèo", "kind": "circumstance", "circumstance": "poor", "points": 30},
    {"code": "near_poor", "label": "Hộ cận nghèo", "kind": "circumstance", "circumstance": "near_poor", "points": 20},
    {"code": "orphan", "label": "Mồ côi", "kind": "circumstance", "circumstance": "orphan", "points": 20},
    {"code": "gpa", "label": "Điểm trung bình", "kind": "bands", "fact": "average_score", "minimum": 0, "maximum": 10,
     "bands": [{"at_least": "9.0", "points": 30}, {"at_least": "8.0", "points": 20}, {"at_least": "7.0", "points": 10}]},
    {"code": "excellent", "label": "Học lực xuất sắc", "kind": "boolean", "fact": "excellent_rank", "points": 10},
]


class ProgramAddForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị tổ chức"), queryset=OrgUnit.objects.none())
    code = forms.CharField(label=gettext_lazy("Mã chương trình"), max_length=30,
                           help_text=gettext_lazy("Ví dụ: NCUM-2026."))
    name = forms.CharField(label=gettext_lazy("Tên chương trình"), max_length=200)
    school_year = forms.CharField(label=gettext_lazy("Năm học"), max_length=9,
                                  help_text=gettext_lazy("Ví dụ: 2026-2027."))
    award_amount = AmountField(label=gettext_lazy("Mức học bổng"),
                               help_text=gettext_lazy("Ví dụ: 2.000.000 hoặc 2 triệu."))
    rubric = forms.CharField(
        label=gettext_lazy("Thang điểm (JSON)"), widget=forms.Textarea(attrs={"rows": 18, "cols": 100}),
        initial=json.dumps(RUBRIC_EXAMPLE, ensure_ascii=False, indent=2),
        help_text=gettext_lazy("Danh sách tiêu chí; loại circumstance (hoàn cảnh), boolean (có/không) hoặc bands "
                               "(theo ngưỡng). Mẫu có sẵn ở trên: sửa điểm cho phù hợp."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        writers = roles_with(Action.ADD, Domain.AWARDS)
        units = visible_units(user, writers)
        self.fields["unit"].queryset = units
        funds = scope_queryset(Fund.objects.filter(is_active=True), user, "unit", roles=writers)
        for number in range(1, FUND_ROWS + 1):
            field = _PairField(
                _FundChoiceField(queryset=Fund.objects.none(), empty_label=_("— chọn quỹ —")),
                AmountField(widget=forms.TextInput(attrs={"placeholder": _("ngân sách, ví dụ 6 triệu")})),
                incomplete_message=_("Hãy chọn quỹ và nhập ngân sách, hoặc để trống cả hai."),
                label=_("Quỹ chi trả %(number)d") % {"number": number},
                help_text=_("Quỹ và số tiền tối đa chương trình được dùng từ quỹ đó.") if number == 1 else "",
            )
            field.set_queryset(funds)
            self.fields[f"fund_{number}"] = field
        for number in range(1, QUOTA_ROWS + 1):
            field = _PairField(
                forms.ModelChoiceField(queryset=OrgUnit.objects.none(), empty_label=_("— chọn đơn vị —")),
                forms.IntegerField(min_value=0, max_value=100_000,
                                   widget=forms.NumberInput(attrs={"placeholder": _("số suất tối đa")})),
                incomplete_message=_("Hãy chọn đơn vị và nhập số suất, hoặc để trống cả hai."),
                label=_("Chỉ tiêu %(number)d") % {"number": number},
                help_text=_("Không bắt buộc: số suất tối đa cho học sinh do một đơn vị đề cử.") if number == 1 else "",
            )
            field.set_queryset(units)
            self.fields[f"quota_{number}"] = field

    def clean_rubric(self):
        try:
            return json.loads(self.cleaned_data["rubric"])
        except json.JSONDecodeError as error:
            raise ValidationError(
                _("Thang điểm không phải JSON hợp lệ (dòng %(line)d, cột %(column)d).")
                % {"line": error.lineno, "column": error.colno}
            ) from None

    def _rows(self, prefix, count, duplicate_message):
        chosen = {}
        for number in range(1, count + 1):
            name = f"{prefix}_{number}"
            row = self.cleaned_data.get(name)
            if row is None:
                continue
            key, value = row
            if key in chosen:
                self.add_error(name, duplicate_message)
            else:
                chosen[key] = value
        return chosen

    def clean(self):
        cleaned = super().clean()
        # The services take mappings (fund → budget, unit → quota): a row chosen twice is an input slip.
        cleaned["funds"] = self._rows("fund", FUND_ROWS, _("Quỹ này đã được chọn ở dòng trên."))
        cleaned["quotas"] = self._rows("quota", QUOTA_ROWS, _("Đơn vị này đã được chọn ở dòng trên."))
        return cleaned


class _StudentChoiceField(forms.ModelChoiceField):
    """A student as the nominator knows them: code, name (masked unless they may see it), school."""

    def label_from_instance(self, student):
        name = student.full_name if getattr(student, "shows_personal", False) else masked_value(student, "full_name")
        return _("%(code)s – %(name)s – %(school)s, lớp %(grade)d") % {
            "code": student.code, "name": name, "school": student.school_name, "grade": student.grade,
        }


class _StudentAutocomplete(AutocompleteSelect):
    """The admin's autocomplete for a nominee; a value that is not a record id (a hand-made POST) is
    not looked up when the form is shown again (Django's widget would query with it and fail)."""

    def optgroups(self, name, value, attr=None):
        value = [item for item in value if str(item).isascii() and str(item).isdigit() and len(str(item)) <= 18]
        return super().optgroups(name, value, attr)


class NominationAddForm(forms.Form):
    program = forms.ModelChoiceField(
        label=gettext_lazy("Chương trình"), queryset=ScholarshipProgram.objects.none(),
        help_text=gettext_lazy("Các chương trình đang nhận đề cử của đơn vị bạn hoặc cấp trên."),
    )
    student = _StudentChoiceField(
        label=gettext_lazy("Học sinh"), queryset=Student.objects.none(),
        help_text=gettext_lazy(
            "Học sinh của các đơn vị bạn được đề cử. Điểm được chấm ngay theo thang điểm của chương trình."
        ),
    )

    def __init__(self, *args, user, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = selectors.programs_open_for_nominations(user)
        # The same scope as the autocomplete's search (`StudentAdmin.get_search_results`): what the
        # widget offers and what the form accepts are one set.
        self.fields["student"].queryset = selectors.students_nominable_by(user)
        if admin_site is not None:
            field = self.fields["student"]
            field.widget = _StudentAutocomplete(Nomination._meta.get_field("student"), admin_site)
            field.widget.choices = field.choices


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do không duyệt"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Được ghi vào hồ sơ của suất học bổng và nhật ký."),
    )


class DisburseForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Hình thức chi"), choices=Disbursement.Method.choices)
    paid_on = forms.DateField(label=gettext_lazy("Ngày chi"), initial=timezone.localdate, required=False,
                              widget=AdminDateWidget)
    recipient_name = forms.CharField(
        label=gettext_lazy("Người nhận"), max_length=120, required=False,
        help_text=gettext_lazy("Học sinh hoặc người giám hộ ký nhận."),
    )
    bank_reference = forms.CharField(
        label=gettext_lazy("Mã giao dịch ngân hàng"), max_length=100, required=False,
        help_text=gettext_lazy("Bắt buộc khi chuyển khoản."),
    )


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do hủy / hoàn"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Ví dụ: chuyển khoản bị ngân hàng trả lại; chi nhầm người. Được in trên phiếu chi và ghi vào sổ."),
    )


class SignatureListForm(forms.Form):
    """The unit whose students sign (the program's unit or one below it) and the ceremony's date."""

    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị nhận"), queryset=OrgUnit.objects.none())
    day = forms.DateField(label=gettext_lazy("Ngày trao"), initial=timezone.localdate,
                          widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, program, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = visible_units(user).filter(path__startswith=program.unit.path).order_by("path")
        self.fields["unit"].initial = program.unit_id


class GrantForm(forms.Form):
    """The committee's override grant: a fund of the nomination's program, and the reason."""

    fund = forms.ModelChoiceField(label=gettext_lazy("Chi từ quỹ"), queryset=Fund.objects.none())
    reason = forms.CharField(
        label=gettext_lazy("Lý do cấp ngoài đề xuất"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Được ghi vào suất học bổng và nhật ký kiểm tra."),
    )

    def __init__(self, *args, nomination, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fund"].queryset = Fund.objects.filter(
            pk__in=nomination.program.program_funds.values("fund_id")
        ).order_by("code")


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Ví dụ: phụ huynh yêu cầu xóa dữ liệu ngày 01/03/2027. Không thể hoàn tác."),
    )


class StudentImportForm(UploadForm):
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị đề cử"), queryset=OrgUnit.objects.none())
    columns = gettext_lazy("Các cột: Họ và tên, Ngày sinh, Giới tính, Trường, Cấp học, Lớp, Điểm trung bình, Học lực, "
                           "Hoàn cảnh, Người giám hộ, Điện thoại, Địa chỉ, Số định danh, Ghi chú hoàn cảnh.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["unit"].queryset = visible_units(user, roles=roles_with(Action.ADD, Domain.STUDENTS))


# --- papers and transfers of awards ---------------------------------------------------------------

class CertificatesForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("ngày ghi trên giấy"), widget=AdminDateWidget, initial=timezone.localdate)
    show_amount = forms.BooleanField(label=gettext_lazy("ghi số tiền học bổng"), required=False)
    page_size = forms.ChoiceField(
        label=gettext_lazy("khổ giấy"), choices=[("A4", gettext_lazy("A4 ngang")), ("A5", gettext_lazy("A5 ngang"))],
        initial="A4",
    )


class TransferResultForm(forms.Form):
    paid_on = forms.DateField(
        label=gettext_lazy("ngày ngân hàng chuyển tiền"), widget=AdminDateWidget, initial=timezone.localdate,
        help_text=gettext_lazy("Ngày ghi trên các phiếu chi lập cho các dòng chuyển thành công."),
    )
    file = TableFileField(label=gettext_lazy("Tệp CSV hoặc Excel (.xlsx)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Tệp kết quả của ngân hàng (CSV hoặc Excel): cột STT (hoặc mã dòng CK-000001-001), Trạng thái (thành công / "
            "thất bại), Mã giao dịch; có thể thêm Số tiền (được đối chiếu) và Ghi chú."
        )


# --- the rubric, criterion by criterion (no JSON) --------------------------------------------------

BAND_ROWS = 5  # at least; a criterion stored with more bands gets as many rows, plus one
# The facts `awards.student_facts` gives a rubric: yes/no facts and numbers.
BOOLEAN_FACTS = [
    ("excellent_rank", gettext_lazy("Học lực xuất sắc")),
    ("very_good_rank", gettext_lazy("Học lực giỏi")),
]
NUMBER_FACTS = [
    ("average_score", gettext_lazy("Điểm trung bình")),
    ("grade", gettext_lazy("Lớp / năm học")),
]
KIND_CHOICES = [
    ("", gettext_lazy("— chọn loại —")),
    ("circumstance", gettext_lazy("Hoàn cảnh (cộng điểm khi có)")),
    ("boolean", gettext_lazy("Có / không (cộng điểm khi có)")),
    ("bands", gettext_lazy("Theo mức (điểm theo ngưỡng)")),
]

POINTS_MESSAGES = {
    "invalid": gettext_lazy("Số điểm phải là một số nguyên."),
    "min_value": gettext_lazy("Số điểm phải là số nguyên không âm."),
    "max_value": gettext_lazy("Số điểm không được lớn hơn 100.000."),
}


def _number_text(value) -> str:
    return "" if value is None else str(value).replace(",", ".")


class CriterionForm(forms.Form):
    """One criterion of a rubric; the fields that apply depend on its kind (the help texts say which)."""

    code = forms.CharField(
        label=gettext_lazy("Mã"), max_length=40,
        help_text=gettext_lazy("Chữ thường không dấu, chữ số, gạch dưới; ví dụ: ho_ngheo."),
        widget=forms.TextInput(attrs={"size": 12}),
    )
    label = forms.CharField(label=gettext_lazy("Tên tiêu chí"), max_length=200, widget=forms.TextInput(attrs={"size": 24}))
    kind = forms.ChoiceField(label=gettext_lazy("Loại"), choices=KIND_CHOICES)
    circumstance = forms.ChoiceField(
        label=gettext_lazy("Hoàn cảnh"), required=False, choices=[("", "—"), *Circumstance.choices],
    )
    fact = forms.ChoiceField(
        label=gettext_lazy("Dữ liệu"), required=False,
        choices=[("", "—"), (gettext_lazy("Có / không"), BOOLEAN_FACTS), (gettext_lazy("Số"), NUMBER_FACTS)],
    )
    points = forms.IntegerField(label=gettext_lazy("Điểm"), required=False, min_value=0, max_value=100_000,
                                widget=forms.NumberInput(attrs={"size": 5}), error_messages=POINTS_MESSAGES)
    minimum = forms.CharField(label=gettext_lazy("Nhỏ nhất"), required=False, max_length=12,
                              widget=forms.TextInput(attrs={"size": 5}))
    maximum = forms.CharField(label=gettext_lazy("Lớn nhất"), required=False, max_length=12,
                              widget=forms.TextInput(attrs={"size": 5}))

    def __init__(self, *args, band_rows: int = BAND_ROWS, **kwargs):
        super().__init__(*args, **kwargs)
        self.band_rows = band_rows
        for number in range(1, band_rows + 1):
            self.fields[f"band_{number}_at_least"] = forms.CharField(
                label=_("Mức %(number)d: từ") % {"number": number}, required=False, max_length=12,
                widget=forms.TextInput(attrs={"size": 5}),
            )
            self.fields[f"band_{number}_points"] = forms.IntegerField(
                label=_("Mức %(number)d: điểm") % {"number": number}, required=False, min_value=0, max_value=100_000,
                widget=forms.NumberInput(attrs={"size": 5}), error_messages=POINTS_MESSAGES,
            )

    @property
    def band_fields(self):
        return [(self[f"band_{number}_at_least"], self[f"band_{number}_points"]) for number in range(1, self.band_rows + 1)]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if not kind or self.errors:
            return data
        criterion = {"code": data.get("code", ""), "label": data.get("label", ""), "kind": kind}
        if kind in ("circumstance", "boolean") and data.get("points") is None:
            self.add_error("points", _("Cần nhập số điểm của tiêu chí."))
        if kind == "circumstance":
            if not data.get("circumstance"):
                self.add_error("circumstance", _("Tiêu chí theo hoàn cảnh: hãy chọn hoàn cảnh."))
            criterion.update(circumstance=data.get("circumstance"), points=data.get("points"))
        elif kind == "boolean":
            if data.get("fact") not in dict(BOOLEAN_FACTS):
                self.add_error("fact", _("Tiêu chí có / không: hãy chọn một dữ liệu có / không (ví dụ học lực xuất sắc)."))
            criterion.update(fact=data.get("fact"), points=data.get("points"))
        else:
            if data.get("fact") not in dict(NUMBER_FACTS):
                self.add_error("fact", _("Tiêu chí theo mức: hãy chọn một dữ liệu là số (ví dụ điểm trung bình)."))
            bands = []
            for number in range(1, self.band_rows + 1):
                at_least, points = data.get(f"band_{number}_at_least", "").strip(), data.get(f"band_{number}_points")
                if not at_least and points is None:
                    continue
                if not at_least or points is None:
                    self.add_error(f"band_{number}_at_least",
                                   _("Mức %(number)d: cần cả ngưỡng và số điểm, hoặc để trống cả hai.") % {"number": number})
                    continue
                bands.append({"at_least": _number_text(at_least), "points": points})
            if not bands:
                self.add_error("band_1_at_least", _("Tiêu chí theo mức cần ít nhất một mức (ngưỡng và điểm)."))
            criterion.update(fact=data.get("fact"), bands=bands)
            for bound in ("minimum", "maximum"):
                if data.get(bound, "").strip():
                    criterion[bound] = _number_text(data[bound].strip())
        data["criterion"] = criterion
        return data


class _RubricFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        self.rubric = []
        if any(self.errors):
            return
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.cleaned_data.get("criterion"):
                self.rubric.append(form.cleaned_data["criterion"])
        # The rubric's own rules (codes unique, thresholds inside the bounds, …): the scoring module's.
        try:
            scoring.rubric_validate(self.rubric)
        except scoring.RubricError as error:
            raise ValidationError(error.message) from None


RubricFormSet = forms.formset_factory(CriterionForm, formset=_RubricFormSet, extra=2, can_delete=True, max_num=40,
                                      validate_max=True)


def rubric_band_rows(rubric) -> int:
    """How many band rows each criterion's form has: never fewer than a stored criterion's bands
    (editing must not drop one), plus one free row, and at least `BAND_ROWS`."""
    longest = max((len(item.get("bands") or []) for item in rubric or [] if isinstance(item, dict)), default=0)
    return max(BAND_ROWS, longest + 1)


def rubric_initial(rubric) -> list[dict]:
    """A stored rubric as the formset's initial rows."""
    rows = []
    for item in rubric or []:
        row = {key: item.get(key) for key in ("code", "label", "kind", "circumstance", "fact", "points")}
        row["minimum"], row["maximum"] = _number_text(item.get("minimum")), _number_text(item.get("maximum"))
        for number, band in enumerate(item.get("bands") or [], start=1):
            row[f"band_{number}_at_least"] = _number_text(band.get("at_least"))
            row[f"band_{number}_points"] = band.get("points")
        rows.append({key: value for key, value in row.items() if value not in (None, "")})
    return rows
