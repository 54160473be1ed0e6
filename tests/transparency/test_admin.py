"""The checkpoints in the admin: read-only for ledger readers, "take one now" for treasurers and auditors."""

import pytest

from fundmgr.transparency.models import Checkpoint

pytestmark = pytest.mark.django_db
LIST = "/admin/transparency/checkpoint/"
TAKE = "/admin/transparency/checkpoint/take/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_auditor_takes_one_and_reads_the_list(client, auditor, post, django_capture_on_commit_callbacks,
                                              django_assert_max_num_queries):
    post(1_000_000, 2_000_000)
    client.force_login(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(TAKE)
    assert (response.status_code, response["Location"]) == (302, LIST)
    checkpoint = Checkpoint.objects.get()
    assert checkpoint.tree_size == 2

    with django_assert_max_num_queries(12):  # session, user, memberships (twice), counts, the page
        page = client.get(LIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert checkpoint.root_hash in html and TAKE in html
    assert 'href="/admin/transparency/checkpoint/add/"' not in html
    assert client.get(f"{LIST}add/").status_code == 403
    assert client.get(f"{LIST}{checkpoint.pk}/delete/").status_code == 403
    assert client.get(TAKE).status_code == 405  # a write is a POST


def test_a_nominator_neither_sees_nor_takes(client, nominator, post):
    post(1_000_000)
    client.force_login(nominator)
    assert client.get(LIST).status_code == 403
    assert client.post(TAKE).status_code == 403
    assert Checkpoint.objects.count() == 0
