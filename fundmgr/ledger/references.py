"""Documents that name journal entries, checked against the journal by `verify_ledger`.

The hash chain and the chain head catch an edited or removed entry, unless someone with the
power to switch triggers off also moves the head back after cutting the tail: then the shorter
chain verifies. The documents remember what the ledger forgot. A payment names its entry (and
its reversal when voided), a receipt names its payment; if those entries are missing, name a
different fund or amount, or a reversal reverses something else, the ledger was cut or edited.

The ledger knows nothing of donations or receipts (the dependency points the other way), so an
app offers its documents through an optional method of its AppConfig, as `seed_demo` does:

    def ledger_references(self) -> Iterable[LedgerReference]: ...

`document_problems` reads the named entries in batches (two queries per batch), so memory stays
flat for millions of documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from django.apps import apps
from django.db.models import Sum
from django.utils.translation import gettext as _

from .models import JournalEntry, JournalLine

BATCH_SIZE = 5_000
PROBLEMS_SHOWN = 5


@dataclass(frozen=True)
class LedgerReference:
    """One document's claim about the journal: "my money is entry #`entry_id`"."""

    document: str  # how the report names it: "khoản thu #12", "phiếu thu TH-2025-00001"
    entry_id: int | None  # None: the document names no entry although it should
    fund_id: int | None = None  # with `amount`: the entry debits this fund by exactly `amount`
    amount: int | None = None
    reverses_entry_id: int | None = None  # the entry is the reversal of this one


@dataclass
class DocumentProblems:
    problems: list[str]
    count: int = 0
    first_entry_id: int | None = None  # the lowest entry id a problem names
    documents_checked: int = 0

    def add(self, problem: str, entry_id: int | None) -> None:
        self.count += 1
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(problem)
        if entry_id is not None and (self.first_entry_id is None or entry_id < self.first_entry_id):
            self.first_entry_id = entry_id

    def summary(self) -> list[str]:
        hidden = self.count - len(self.problems)
        if hidden > 0:
            return [*self.problems, _("và %(count)s sai lệch khác giữa chứng từ và sổ") % {"count": hidden}]
        return list(self.problems)


def all_references() -> Iterator[LedgerReference]:
    """The references every installed app offers (`AppConfig.ledger_references`)."""
    for app_config in apps.get_app_configs():
        provider = getattr(app_config, "ledger_references", None)
        if provider is not None:
            yield from provider()


def document_problems(
    references: Iterable[LedgerReference], *, head_entry_id: int | None, batch_size: int = BATCH_SIZE
) -> DocumentProblems:
    found = DocumentProblems(problems=[])
    references = iter(references)
    while batch := list(islice(references, batch_size)):
        ids = {reference.entry_id for reference in batch if reference.entry_id is not None}
        reverses = dict(JournalEntry.objects.filter(pk__in=ids).values_list("pk", "reverses_id"))
        debits = {
            (row["entry_id"], row["fund_id"]): row["debit"]
            for row in JournalLine.objects.filter(entry_id__in=ids)
            .values("entry_id", "fund_id").annotate(debit=Sum("debit")).order_by()
        }
        for reference in batch:
            found.documents_checked += 1
            _check(reference, reverses, debits, head_entry_id, found)
    return found


def _check(reference, reverses, debits, head_entry_id, found: DocumentProblems) -> None:
    entry_id = reference.entry_id
    names = {"document": reference.document, "entry": entry_id, "head": head_entry_id or 0}
    if entry_id is None:
        found.add(_("%(document)s không ghi bút toán nào") % names, None)
    elif entry_id not in reverses:
        if head_entry_id is None or entry_id > head_entry_id:
            problem = _("%(document)s ghi bút toán #%(entry)s, sau đầu chuỗi #%(head)s, nhưng sổ không có bút "
                        "toán này: phần cuối sổ đã bị cắt và đầu chuỗi bị lùi lại")
        else:
            problem = _("%(document)s ghi bút toán #%(entry)s, nhưng sổ không có bút toán này")
        found.add(problem % names, entry_id)
    elif reference.amount is not None and debits.get((entry_id, reference.fund_id), 0) != reference.amount:
        found.add(
            _("%(document)s ghi %(amount)s vào quỹ #%(fund)s, nhưng bút toán #%(entry)s ghi Nợ %(debit)s cho quỹ đó")
            % {**names, "amount": reference.amount, "fund": reference.fund_id,
               "debit": debits.get((entry_id, reference.fund_id), 0)},
            entry_id,
        )
    elif reference.reverses_entry_id is not None and reverses[entry_id] != reference.reverses_entry_id:
        found.add(
            _("%(document)s ghi bút toán đảo #%(entry)s, nhưng bút toán này không đảo bút toán #%(reversed)s")
            % {**names, "reversed": reference.reverses_entry_id},
            entry_id,
        )
