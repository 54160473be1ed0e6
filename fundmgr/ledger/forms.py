"""The admin's forms for money that moves between or into funds without a donor: a transfer
between two funds, interest earned, an endowment's principal. Each is posted by its service
(`services.fund_transfer`, `interest_record`, `endowment_principal_record`)."""

import secrets

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fundmgr.adminkit.forms import AmountField


class FundMovementForm(forms.Form):
    amount = AmountField(label=_("Số tiền"), help_text=_("Ví dụ: 1.000.000, 5 triệu, 500k."))
    # Typed day first in Vietnamese (`06/12/2026`): the project's formats (fundmgr/formats/vi).
    date = forms.DateField(label=_("Ngày hạch toán"), initial=timezone.localdate, widget=AdminDateWidget)
    memo = forms.CharField(label=_("Diễn giải"), max_length=500)


class FundTransferForm(FundMovementForm):
    to_fund = forms.ModelChoiceField(label=_("Sang quỹ"), queryset=None)
    # Rendered once with the form: sent twice (a double click, a resent POST), it moves the money once.
    idempotency_key = forms.CharField(required=False, widget=forms.HiddenInput, max_length=64)

    field_order = ["to_fund", "amount", "date", "memo"]

    def __init__(self, *args, funds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_fund"].queryset = funds
        self.initial.setdefault("idempotency_key", secrets.token_urlsafe(24))
