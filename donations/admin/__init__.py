"""Admin for treasurers: campaigns, donors, pledges, payments and the bank-statement reconciliation queue.

One module per model (`campaigns`, `donors`, `pledges`, `payments`, `bank_statements`); the list
filters and pieces they share are in `common`. Importing the modules registers their ModelAdmins.

Every page is scoped to the user's units (`ScopedAdminMixin`, domain money) and every write goes
through a service (`donations.services`, `donations.services.bank_statement`): the admin validates a
form, calls one service and shows its message. Money rows are append-only: payments have no
change or delete permission, and pledges change only through actions (record a payment,
cancel, write off) that leave a reason and a name behind.

List pages run a fixed number of queries whatever the number of rows: related rows are joined
(`list_select_related`), sums are subqueries of the queryset (`selectors`), and list filters
read their choices once (tests/donations/test_admin.py counts them).
"""

from . import bank_statements, campaigns, donors, home, honor_roll, payments, pledges  # noqa: F401  (registration is the effect)
