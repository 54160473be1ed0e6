"""The public pledge form.

It checks what a person typed and turns it into the arguments of `services.pledge_create`; the
service checks again (the admin, the API and imports do not go through this form) and decides.
Messages are Vietnamese, translated to English in the campaigns app's catalogue.

Besides the donor's fields the form carries three guards:
- `idempotency_key`: a random token rendered into the form; sending the same form twice (a double
  click, a reload after a lost answer) gives the same pledge;
- `website`: a honeypot, hidden from people by CSS; a bot that fills every field is refused;
- `started`: a signed timestamp of when the form was rendered; a form sent back sooner than
  `PLEDGE_FORM_MIN_SECONDS` (3 s) was not filled in by a person, and one older than
  `PLEDGE_FORM_MAX_AGE` (7 days) is refused so that a stale token cannot be replayed forever.
"""

import re
import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Case, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign
from donations.models import Donor
from fundmgr.core.contacts import email_normalize, name_clean, phone_normalize, tax_code_normalize
from fundmgr.core.money import AmountError, amount_check, format_vnd, parse_vnd, pledge_minimum

_SIGNING_SALT = "public.forms.PledgeForm.started"
_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")

AMOUNT_PRESETS = (500_000, 1_000_000, 2_000_000, 5_000_000)
INSTALLMENT_CHOICES = (
    (1, gettext_lazy("Một lần")),
    (2, gettext_lazy("2 đợt (hằng tháng)")),
    (3, gettext_lazy("3 đợt (hằng tháng)")),
    (4, gettext_lazy("4 đợt (hằng tháng)")),
    (6, gettext_lazy("6 đợt (hằng tháng)")),
    (12, gettext_lazy("12 đợt (hằng tháng)")),
)


def min_seconds() -> float:
    return getattr(settings, "PLEDGE_FORM_MIN_SECONDS", 3)


def max_age() -> int:
    return getattr(settings, "PLEDGE_FORM_MAX_AGE", 7 * 24 * 3600)


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


def new_started_token() -> str:
    return signing.dumps(time.time(), salt=_SIGNING_SALT)


class FundChoiceField(forms.ModelChoiceField):
    # The campaign's default fund when the view read it with the campaign: chosen (most donors
    # leave the choice), it is taken without a second read of the same row. `pledge_create` checks
    # it, as every fund, against the campaign's active funds; its refusal shows at this field.
    preset = None

    def label_from_instance(self, fund):
        return fund.name

    def to_python(self, value):
        preset = self.preset
        if preset is not None and value not in self.empty_values and str(value) == str(preset.pk):
            return preset
        return super().to_python(value)


class PledgeForm(forms.Form):
    donor_name = forms.CharField(
        label=gettext_lazy("Họ tên hoặc tên đơn vị"),
        max_length=200,
        error_messages={
            "required": gettext_lazy("Vui lòng nhập họ tên của bạn hoặc tên đơn vị."),
            "max_length": gettext_lazy("Họ tên hoặc tên đơn vị dài tối đa 200 ký tự."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    donor_kind = forms.ChoiceField(
        label=gettext_lazy("Bạn ủng hộ với tư cách"),
        choices=Donor.Kind.choices,
        initial=Donor.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Vui lòng chọn cá nhân, doanh nghiệp, cơ quan hoặc tổ chức."),
            "invalid_choice": gettext_lazy("Vui lòng chọn cá nhân, doanh nghiệp, cơ quan hoặc tổ chức."),
        },
    )
    # Contacts are checked by the kernel's rules (`clean_*`), as the service checks them for every door.
    email = forms.CharField(
        label=gettext_lazy("E-mail"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("Hội gửi mã ủng hộ và thông tin chuyển khoản tới địa chỉ này."),
        error_messages={"max_length": gettext_lazy("Địa chỉ e-mail dài tối đa 254 ký tự.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Số điện thoại"),
        required=False,
        max_length=30,
        error_messages={"max_length": gettext_lazy("Số điện thoại dài tối đa 30 ký tự.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    tax_code = forms.CharField(
        label=gettext_lazy("Mã số thuế"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Bắt buộc với doanh nghiệp, để Hội xuất chứng từ đúng tên đơn vị."),
        error_messages={"max_length": gettext_lazy("Mã số thuế dài tối đa 14 ký tự.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    address = forms.CharField(
        label=gettext_lazy("Địa chỉ"),
        required=False,
        max_length=300,
        error_messages={"max_length": gettext_lazy("Địa chỉ dài tối đa 300 ký tự.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    amount = forms.CharField(
        label=gettext_lazy("Số tiền ủng hộ (đồng)"),
        max_length=40,
        help_text=gettext_lazy("Ví dụ: 1.000.000, 5 triệu, 5tr hoặc 500k."),
        error_messages={
            "required": gettext_lazy("Vui lòng nhập số tiền ủng hộ."),
            "max_length": gettext_lazy("Không đọc được số tiền. Hãy viết, ví dụ: 1.000.000, 5 triệu hoặc 500k."),
        },
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    fund = FundChoiceField(
        label=gettext_lazy("Quỹ nhận"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Vui lòng chọn quỹ nhận ủng hộ."),
            "invalid_choice": gettext_lazy("Vui lòng chọn một quỹ của chiến dịch."),
        },
    )
    installments = forms.TypedChoiceField(
        label=gettext_lazy("Nộp"),
        choices=INSTALLMENT_CHOICES,
        coerce=int,
        initial=1,
        error_messages={
            "required": gettext_lazy("Vui lòng chọn số đợt nộp."),
            "invalid_choice": gettext_lazy("Vui lòng chọn số đợt nộp trong danh sách."),
        },
    )
    anonymous = forms.BooleanField(label=gettext_lazy("Ẩn danh: không công khai tên tôi"), required=False)
    # Both consents are opt-in, never pre-ticked: a consent must be given, not left in place, and
    # the service records it with its date (`Donor.honor_roll_consent_at`, `email_consent_at`).
    list_on_honor_roll = forms.BooleanField(
        label=gettext_lazy("Ghi danh tôi trên bảng vàng của chiến dịch"), required=False, initial=False
    )
    email_consent = forms.BooleanField(
        label=gettext_lazy("Gửi thư nhắc khi đến hạn nộp và tin tức của Hội vào e-mail của tôi"), required=False
    )
    message = forms.CharField(
        label=gettext_lazy("Lời nhắn"),
        required=False,
        max_length=1000,
        error_messages={"max_length": gettext_lazy("Lời nhắn dài tối đa 1000 ký tự.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput)
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    # Named like a field people expect, so that bots fill it; hidden by CSS and from assistive technology.
    website = forms.CharField(
        label=gettext_lazy("Để trống ô này"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        # The default fund first: most donors leave the choice to the association.
        self.fields["fund"].queryset = campaign.funds.filter(is_active=True).order_by(
            Case(When(pk=campaign.default_fund_id, then=Value(0)), default=Value(1)), "code"
        )
        self.fields["fund"].initial = campaign.default_fund_id
        if Campaign.default_fund.is_cached(campaign):
            self.fields["fund"].preset = campaign.default_fund
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())
            self.initial.setdefault("started", new_started_token())
        # Set by clean() when a guard token was missing, forged or too old: the view renders fresh ones.
        self.renew_idempotency_key = False
        self.renew_started = False

    # --- fields -----------------------------------------------------------------------------------
    def clean_donor_name(self):
        name = name_clean(self.cleaned_data["donor_name"])  # the service's rule: zero-width spaces are no name
        if not name:
            raise ValidationError(self.fields["donor_name"].error_messages["required"], code="required")
        return name

    def _contact(self, normalize, field: str) -> str:
        # The kernel's rule and message, shown early; the service applies the same one again.
        try:
            return normalize(self.cleaned_data[field], field=field)
        except ValidationError as error:
            raise ValidationError(error.error_dict[field]) from None

    def clean_email(self):
        return self._contact(email_normalize, "email")

    def clean_phone(self):
        return self._contact(phone_normalize, "phone")

    def clean_tax_code(self):
        return self._contact(tax_code_normalize, "tax_code")

    def clean_address(self):
        return " ".join(self.cleaned_data["address"].split())

    def clean_amount(self):
        # The bounds are the kernel's, checked again by the service: the form only shows them early.
        try:
            amount = parse_vnd(self.cleaned_data["amount"])
            amount_check(amount, minimum=pledge_minimum())
        except AmountError as error:
            raise ValidationError(error.message, code=f"amount_{error.code}") from None
        return amount

    def clean_message(self):
        return self.cleaned_data["message"].strip()

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"]
        if not _KEY_PATTERN.fullmatch(key):
            self.renew_idempotency_key = True
            raise ValidationError(
                _("Biểu mẫu không còn hợp lệ. Vui lòng kiểm tra lại thông tin và gửi lại."), code="bad_key"
            )
        return key

    def clean_started(self):
        token = self.cleaned_data["started"]
        try:
            started = signing.loads(token, salt=_SIGNING_SALT)
        except signing.BadSignature:
            started = None
        if not isinstance(started, (int, float)) or isinstance(started, bool):
            self.renew_started = True
            raise ValidationError(
                _("Biểu mẫu không còn hợp lệ. Vui lòng kiểm tra lại thông tin và gửi lại."), code="bad_token"
            )
        elapsed = time.time() - started
        if elapsed > max_age():
            self.renew_started = True
            raise ValidationError(
                _("Biểu mẫu đã mở quá lâu. Vui lòng kiểm tra lại thông tin và gửi lại."), code="form_expired"
            )
        if elapsed < min_seconds():
            raise ValidationError(
                _("Biểu mẫu được gửi quá nhanh. Vui lòng kiểm tra lại thông tin và bấm gửi lần nữa."),
                code="too_fast",
            )
        return started

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise ValidationError(_("Không thể ghi nhận cam kết từ biểu mẫu này."), code="honeypot")
        return ""

    def clean(self):
        cleaned = super().clean()
        if "email" in cleaned and "phone" in cleaned and not cleaned["email"] and not cleaned["phone"]:
            self.add_error(
                "email", ValidationError(_("Vui lòng nhập e-mail hoặc số điện thoại để Hội liên lạc."), code="contact")
            )
        if cleaned.get("donor_kind") == Donor.Kind.BUSINESS and "tax_code" in cleaned and not cleaned["tax_code"]:
            self.add_error("tax_code", ValidationError(_("Doanh nghiệp vui lòng nhập mã số thuế."), code="required"))
        return cleaned

    # The guards are not fields a person can fix: their errors show above the form.
    _GUARDS = ("idempotency_key", "started", "website")

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return
        for name in self._GUARDS:
            if name in self._errors:
                errors = self._errors.pop(name)
                self._errors.setdefault(NON_FIELD_ERRORS, self.error_class(error_class="nonfield")).extend(errors)

    # --- for the view -------------------------------------------------------------------------------
    def service_arguments(self) -> dict:
        """Keyword arguments of `pledge_create` (without campaign and channel)."""
        data = self.cleaned_data
        return {
            "donor_name": data["donor_name"],
            "donor_kind": data["donor_kind"],
            "email": data["email"],
            "phone": data["phone"],
            "tax_code": data["tax_code"],
            "address": data["address"],
            "amount": data["amount"],
            "fund": data["fund"],
            "installments": data["installments"],
            "anonymous": data["anonymous"],
            "list_on_honor_roll": data["list_on_honor_roll"],
            "email_consent": data["email_consent"],
            "message": data["message"],
            "idempotency_key": data["idempotency_key"],
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the service's refusal next to the fields it names (above the form for the rest)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            target = field if field in self.fields and field not in self._GUARDS else None
            self.add_error(target, errors)

    def renew_guards(self) -> None:
        """Give a re-rendered form fresh tokens where its own were refused; keep what the donor typed."""
        if not (self.renew_idempotency_key or self.renew_started):
            return
        self.data = self.data.copy()
        if self.renew_idempotency_key:
            self.data["idempotency_key"] = new_idempotency_key()
        if self.renew_started:
            self.data["started"] = new_started_token()

    @property
    def amount_presets(self) -> list[dict]:
        """The quick amounts: links that work without JavaScript (`?amount=`), filled in place with it."""
        return [
            {"value": amount, "figures": format_vnd(amount).removesuffix("\u00a0₫"), "label": format_vnd(amount)}
            for amount in AMOUNT_PRESETS
        ]
