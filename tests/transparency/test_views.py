"""`/transparency/checkpoints/`: newest first, signed, with the public key; paged, cached, read-only."""

import pytest

from fundmgr.transparency import services, signing, views

pytestmark = pytest.mark.django_db
URL = "/transparency/checkpoints/"


@pytest.fixture
def three_checkpoints(post, django_capture_on_commit_callbacks):
    checkpoints = []
    for amount in (1_000_000, 2_000_000, 3_000_000):
        post(amount)
        with django_capture_on_commit_callbacks(execute=True):
            checkpoints.append(services.checkpoint_take())
    return checkpoints


def test_newest_first_with_signatures_and_key(client, three_checkpoints, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the page of checkpoints; the key is not in the database
        response = client.get(URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    data = response.json()
    key = signing.public_key()
    assert (data["format"], data["key_id"], data["public_key"]) == (
        "fundmgr-checkpoint/v1", signing.key_id(key), signing.public_key_text(key),
    )
    assert data["checkpoints"] == [signing.checkpoint_json(c.signed) for c in reversed(three_checkpoints)]
    assert [item["tree_size"] for item in data["checkpoints"]] == [3, 2, 1]
    assert data["next"] is None
    for item in data["checkpoints"]:
        assert signing.signature_valid(signing.checkpoint_from_json(item), key)


def test_paged_by_tree_size(client, three_checkpoints, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    first = client.get(URL).json()
    assert [item["tree_size"] for item in first["checkpoints"]] == [3, 2]
    assert first["next"] == f"{URL}?before=2"
    second = client.get(first["next"])
    assert [item["tree_size"] for item in second.json()["checkpoints"]] == [1]
    assert second["Cache-Control"] == "public, max-age=86400"  # history: a page never changes
    assert client.get(f"{URL}?before=x").status_code == 400


def test_read_only_and_empty(client, db):
    assert client.get(URL).json()["checkpoints"] == []
    assert client.post(URL).status_code == 405
