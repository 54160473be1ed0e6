"""The new scholarship pages in a real browser, under the site's Content Security Policy: the nominee
autocomplete (select2 and the admin's autocomplete view) finds a nominator's own student and not
another unit's; the rubric page previews the scores; the allocation job's page shows its progress.
Screenshots land in var/test-artifacts/ for a person to look at."""

import pytest
from django.urls import reverse

from scholarships.models import AllocationJob
from tests.conftest import require_executable
from tests.e2e.browser import chromium_launched

PASSWORD = "mật-khẩu-thử-1"


def log_in(page, base_url, username):
    page.goto(base_url + reverse("admin:login"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(base_url + reverse("admin:index"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_autocomplete_the_rubric_preview_and_the_job_page_in_a_browser(
    live_server, artifacts_dir, people, program, six, student_b,
):
    chromium = require_executable("chromium")
    problems = []
    with chromium_launched(chromium) as browser:
        context = browser.new_context(locale="vi-VN", viewport={"width": 1366, "height": 900})
        page = context.new_page()
        page.on("console", lambda message: message.type == "error"
                and not message.location.get("url", "").endswith("/favicon.ico") and problems.append(message.text))
        page.on("pageerror", lambda error: problems.append(str(error)))

        log_in(page, live_server.url, "decu_a")
        page.goto(live_server.url + reverse("admin:scholarships_nomination_add"))
        page.click(".select2-selection")
        page.fill(".select2-search__field", "Học sinh")
        page.wait_for_selector(".select2-results__option:not(.loading-results)", timeout=30_000)
        page.wait_for_timeout(300)
        options = page.locator(".select2-results__option").all_inner_texts()
        page.screenshot(path=str(artifacts_dir / "nominee-autocomplete.png"), full_page=True)
        assert sorted(options) == sorted(six[letter].code for letter in "ABC")  # commune A's, not D, E, F
        assert student_b.code not in options

        context.clear_cookies()
        log_in(page, live_server.url, "hoidong")
        page.goto(live_server.url + reverse("admin:scholarships_scholarshipprogram_rubric", args=[program.pk]))
        page.fill("#id_criteria-1-code", "ho_ngheo")
        page.fill("#id_criteria-1-label", "Hộ nghèo")
        page.select_option("#id_criteria-1-kind", "circumstance")
        page.select_option("#id_criteria-1-circumstance", "poor")
        page.fill("#id_criteria-1-points", "30")
        page.click("input[name=_preview]")
        page.wait_for_selector(".rubric-preview")
        page.screenshot(path=str(artifacts_dir / "rubric-preview.png"), full_page=True)
        assert f"{six['B'].code}" in page.inner_text(".rubric-preview")

        page.goto(live_server.url + reverse("admin:scholarships_scholarshipprogram_changelist"))
        page.check(f"input[name=_selected_action][value='{program.pk}']")
        page.select_option("select[name=action]", "run_allocation_action")
        page.click("button[name=index]")
        page.wait_for_selector("progress.allocation-progress")
        job = AllocationJob.objects.get()
        assert page.url.endswith(reverse("admin:scholarships_allocationjob_change", args=[job.pk]))
        page.screenshot(path=str(artifacts_dir / "allocation-job.png"), full_page=True)
        context.close()
    assert problems == []
