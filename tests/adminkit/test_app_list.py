"""The admin's list of apps is built once per request, for that request's user
(fundmgr/adminkit/applist.py): counted by the calls to one registered admin's `get_model_perms`,
which each build of the list makes once."""

from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from fundmgr.ledger.models import Fund

pytestmark = pytest.mark.django_db


@pytest.fixture
def builds():
    """How many times the app list was built: one call of the funds' admin per build."""
    model_admin = admin.site._registry[Fund]
    with mock.patch.object(model_admin, "get_model_perms", wraps=model_admin.get_model_perms) as spy:
        yield spy


@pytest.fixture
def root(django_user_model):
    return django_user_model.objects.create_superuser(username="quan_tri", password="x" * 12)


@pytest.mark.parametrize("page", [("admin:index", ()), ("admin:app_list", ("ledger",))])
def test_the_index_and_an_apps_index_build_the_list_once_for_their_list_and_the_sidebar(client, root, builds, page):
    client.force_login(root)
    response = client.get(reverse(page[0], args=page[1]))
    assert response.status_code == 200
    assert builds.call_count == 1  # Django's admin builds it twice on these pages
    listed = {model["object_name"] for app in response.context["app_list"] for model in app["models"]}
    assert "Fund" in listed
    assert response.context["available_apps"]  # the sidebar's list, the same build


def test_each_page_builds_its_own_list(client, root, builds):
    client.force_login(root)
    client.get(reverse("admin:index"))
    client.get(reverse("admin:index"))
    assert builds.call_count == 2


def test_the_kept_list_is_the_requests_user(root, builds):
    request = RequestFactory().get("/admin/")
    request.user = root
    first = admin.site.each_context(request)["available_apps"]
    assert admin.site.each_context(request)["available_apps"] == first
    assert builds.call_count == 1

    request.user = AnonymousUser()  # the user changes within the request (a log-out): their own list
    assert admin.site.each_context(request)["available_apps"] == []
    request.user = root  # and back: built again for them
    assert admin.site.each_context(request)["available_apps"] == first
    assert builds.call_count == 2


def test_an_apps_index_lists_only_that_app_and_a_missing_app_is_not_found(client, root):
    client.force_login(root)
    response = client.get(reverse("admin:app_list", args=["ledger"]))
    assert [app["app_label"] for app in response.context["app_list"]] == ["ledger"]
    assert len(response.context["available_apps"]) > 1
    assert client.get("/admin/sessions/").status_code == 404  # an app with no admin
