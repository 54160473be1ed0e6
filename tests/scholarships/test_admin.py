"""The students admin's own pages: the CSV import and the anonymise action."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fundmgr.audit.services import ANONYMISED_TEXT
from scholarships.models import Student

pytestmark = pytest.mark.django_db

IMPORT_URL = "admin:scholarships_student_import"
FILE = "Họ và tên,Trường,Cấp học,Lớp\nLò Thị Mai,Trường THCS Lam Sơn,THCS,7\nHà Văn Nam,Trường THPT Hàm Rồng,THPT,10\n"


def test_a_nominator_imports_a_schools_list_into_their_unit(client, people, units):
    client.force_login(people["nominator_a"])
    page = client.get(reverse(IMPORT_URL))
    # Only units where the user may add students are offered.
    assert {unit.code for unit in page.context["form"].fields["unit"].queryset} == {"T-A", "T-A-1"}

    response = client.post(reverse(IMPORT_URL), {
        "unit": units.commune_a.pk, "file": SimpleUploadedFile("hs.csv", FILE.encode(), content_type="text/csv"),
    })

    assert response.status_code == 302
    assert sorted(Student.objects.values_list("full_name", "unit__code")) == [("Hà Văn Nam", "T-A"), ("Lò Thị Mai", "T-A")]


def test_a_bad_file_shows_each_bad_line_and_imports_nothing(client, people, units):
    client.force_login(people["nominator_a"])
    bad = FILE + "Vi Văn Tú,Trường THCS Lam Sơn,THCS,mười\n"
    response = client.post(reverse(IMPORT_URL), {
        "unit": units.commune_a.pk, "file": SimpleUploadedFile("hs.csv", bad.encode(), content_type="text/csv"),
    })

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Dòng 4: Lớp phải là một số từ 1 đến 12."]
    assert Student.objects.count() == 0


def test_a_nominator_cannot_import_into_another_unit(client, people, units):
    client.force_login(people["nominator_a"])
    response = client.post(reverse(IMPORT_URL), {
        "unit": units.commune_b.pk, "file": SimpleUploadedFile("hs.csv", FILE.encode(), content_type="text/csv"),
    })
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert Student.objects.count() == 0


@pytest.mark.parametrize("who", ["auditor", "committee", "treasurer"])
def test_roles_that_do_not_add_students_cannot_open_the_import(client, people, who):
    client.force_login(people[who])
    assert client.get(reverse(IMPORT_URL)).status_code == 403


def test_the_anonymise_action_asks_for_a_reason_then_erases(client, people, student_a):
    client.force_login(people["nominator_a"])
    changelist = reverse("admin:scholarships_student_changelist")
    data = {"action": "anonymise_action", "_selected_action": [student_a.pk]}

    form_page = client.post(changelist, data)
    assert form_page.status_code == 200 and "reason" in form_page.context["form"].fields
    student_a.refresh_from_db()
    assert student_a.full_name == "Lò Thị Mai"  # nothing happens before the reason is given

    client.post(changelist, {**data, "apply": "1", "reason": ""})
    student_a.refresh_from_db()
    assert student_a.full_name == "Lò Thị Mai"

    response = client.post(changelist, {**data, "apply": "1", "reason": "Phụ huynh yêu cầu ngày 01/03/2027"})
    assert response.status_code == 302
    student_a.refresh_from_db()
    assert student_a.full_name == ANONYMISED_TEXT and student_a.is_anonymised
    # The record is closed now: its page is read-only.
    page = client.get(reverse("admin:scholarships_student_change", args=[student_a.pk]))
    assert page.context["has_change_permission"] is False


def test_the_anonymise_action_is_not_offered_to_read_only_roles(client, people, student_a):
    client.force_login(people["committee"])
    page = client.get(reverse("admin:scholarships_student_changelist"))
    actions = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert "anonymise_action" not in actions
    assert "export_personal_action" in actions and "export_masked_action" in actions

    client.force_login(people["auditor"])
    page = client.get(reverse("admin:scholarships_student_changelist"))
    actions = [name for name, _label in page.context["action_form"].fields["action"].choices]
    assert actions == ["", "export_masked_action"]
