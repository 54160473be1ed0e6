"""The one search of the admin's lists: folded (no diacritics, no case), on every changelist."""

import pytest
from django.contrib import admin

from fundmgr.adminkit.search import FoldedSearchMixin, search_words
from fundmgr.core.folding import TRANSLATE_FROM, TRANSLATE_TO, fold

PROJECT_APPS = ("fundmgr.", "campaigns", "donations", "receipts", "scholarships", "public")


def test_fold_drops_diacritics_and_case_and_keeps_codes():
    assert fold("Nguyễn Thị Hoà") == fold("NGUYỄN THỊ HÒA") == "nguyen thi hoa"
    assert fold("Đặng Văn Đức") == "dang van duc"
    assert fold("TKH26-7KQ3M") == "tkh26-7kq3m"


def test_the_database_table_folds_every_vietnamese_letter_as_python_does():
    vietnamese = "àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ"
    letters = vietnamese + vietnamese.upper()
    table = dict(zip(TRANSLATE_FROM, TRANSLATE_TO, strict=True))
    assert all(letter in table for letter in letters)
    assert all(table[letter].lower() == fold(letter) for letter in letters)


def test_search_words_split_like_the_admin_and_fold():
    assert search_words(' Nguyễn  "Thị Hoà" ') == ["nguyen", "thi hoa"]
    assert search_words("   ") == []


def test_every_project_admin_with_search_fields_searches_folded():
    plain = [
        type(model_admin).__name__
        for model, model_admin in admin.site._registry.items()
        if type(model_admin).__module__.startswith(PROJECT_APPS) and model_admin.search_fields
        and not isinstance(model_admin, FoldedSearchMixin)
    ]
    assert plain == []


@pytest.mark.django_db
def test_a_non_text_search_field_is_searched_by_its_text():
    from fundmgr.ledger.models import JournalEntry

    model_admin = admin.site._registry[JournalEntry]
    queryset, _ = model_admin.get_search_results(None, JournalEntry.objects.all(), "12")
    assert list(queryset) == []  # runs: `source_id` is not text, and is searched with icontains
