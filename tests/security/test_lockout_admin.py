"""The lock-out list's one action (django-axes' "clean up expired attempts") works from the admin."""

import pytest
from axes.models import AccessAttempt


@pytest.mark.django_db
def test_cleaning_up_expired_attempts_answers_with_the_list(client, django_user_model):
    root = django_user_model.objects.create_superuser(username="quan_tri", password="x" * 12)
    attempt = AccessAttempt.objects.create(username="khach", ip_address="10.0.0.1", user_agent="trình duyệt",
                                           failures_since_start=1)
    client.force_login(root)
    answer = client.post("/admin/axes/accessattempt/", {"action": "cleanup_expired_attempts",
                                                         "_selected_action": [attempt.pk], "index": 0})
    assert answer.status_code == 302
    assert answer["Location"] == "/admin/axes/accessattempt/"
