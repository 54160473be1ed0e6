"""The chart of accounts the code relies on (created by migration `0002_chart_of_accounts`).

A small cash-basis chart for an association; numbers follow the Vietnamese habit of
the accounting regimes for non-profit units, names say what they are for.
"""

CASH = "111"  # Tiền mặt (cash on hand)
BANK = "112"  # Tiền gửi ngân hàng (bank accounts)
IN_KIND_ASSETS = "156"  # Hiện vật nhận ủng hộ (goods received in kind)
FUND_TRANSFERS = "336"  # Điều chuyển giữa các quỹ (transfers between funds; nets to zero overall)
ENDOWMENT_PRINCIPAL = "411"  # Vốn gốc quỹ bảo toàn (protected principal of an endowment)
DONATION_INCOME = "511"  # Thu ủng hộ, tài trợ bằng tiền (donations in money)
IN_KIND_DONATION_INCOME = "512"  # Thu ủng hộ bằng hiện vật (donations in kind)
INTEREST_INCOME = "515"  # Thu lãi tiền gửi (interest income)
SCHOLARSHIP_EXPENSE = "611"  # Chi học bổng, khen thưởng (scholarships and prizes)

# Where money (or goods) sits, by how it came in or went out. The keys are the method values the
# documents use (`Payment.Method`, `Disbursement.Method`); the ledger knows no document model. One
# mapping for money in and money out: a cash receipt and a cash voucher move the same account.
METHOD_ACCOUNTS = {"cash": CASH, "bank_transfer": BANK, "in_kind": IN_KIND_ASSETS}
# The income a donation received by each method is credited to (goods in kind are income of their own).
DONATION_INCOME_ACCOUNTS = {"cash": DONATION_INCOME, "bank_transfer": DONATION_INCOME, "in_kind": IN_KIND_DONATION_INCOME}

# (code, Vietnamese name, kind, normal side)
CHART = [
    (CASH, "Tiền mặt", "asset", "debit"),
    (BANK, "Tiền gửi ngân hàng", "asset", "debit"),
    (IN_KIND_ASSETS, "Hiện vật nhận ủng hộ", "asset", "debit"),
    (FUND_TRANSFERS, "Điều chuyển giữa các quỹ", "net_assets", "credit"),
    (ENDOWMENT_PRINCIPAL, "Vốn gốc quỹ bảo toàn", "net_assets", "credit"),
    (DONATION_INCOME, "Thu ủng hộ, tài trợ bằng tiền", "income", "credit"),
    (IN_KIND_DONATION_INCOME, "Thu ủng hộ bằng hiện vật", "income", "credit"),
    (INTEREST_INCOME, "Thu lãi tiền gửi", "income", "credit"),
    (SCHOLARSHIP_EXPENSE, "Chi học bổng, khen thưởng", "expense", "debit"),
]


def chart_install(**kwargs) -> None:
    """Make sure every account of `CHART` exists (idempotent).

    Migration 0002 creates the chart; this also runs after every `migrate` and after a test
    database flush (both send `post_migrate`), so code can rely on the accounts being there.
    """
    from .models import Account

    existing = set(Account.objects.values_list("code", flat=True))
    Account.objects.bulk_create(
        Account(code=code, name=name, kind=kind, normal_side=side)
        for code, name, kind, side in CHART
        if code not in existing
    )
