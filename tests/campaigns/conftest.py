"""Fixtures of the public-pages tests: the Thanh Hóa province, its four funds, an open campaign,
and a live server that does not reset connections under a burst (`live_server`)."""

import os

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from pytest_django.live_server_helper import LiveServer

from . import factories

# Connections the listening socket may hold before the server thread accepts them.
LISTEN_BACKLOG = 1024


class _WideBacklogServer(ThreadedWSGIServer):
    request_queue_size = LISTEN_BACKLOG


class _WideBacklogLiveServerThread(LiveServerThread):
    server_class = _WideBacklogServer


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, listening with a backlog of 1024 instead of Django's 10.

    Why: test_concurrency.py opens 24 connections at once. Django's `WSGIServer` listens with a
    backlog of 10, and its one accepting thread competes for the GIL with the request threads
    (and, on a loaded machine, for the CPU with everything else); when more connections than that
    wait to be accepted, Linux logs "Possible SYN flooding ... Sending cookies", drops what
    overflows the queue, and a client whose cookie handshake cannot be completed gets a reset:
    the test failed with `ConnectionResetError` although the application was right. A plain
    script with Django's server and 64 clients gave 13 resets in 2,000 requests with a backlog of
    10 (the kernel counted 13 `SyncookiesFailed`) and none with 1,024 (the kernel caps it at
    `net.core.somaxconn`, 4096 here). Only the socket's queue changes; the server is the same.
    """
    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    server = LiveServer(addr, start=False)
    thread = server.thread
    server.thread = _WideBacklogLiveServerThread(
        thread.host, static_handler=thread.static_handler, connections_override=thread.connections_override,
        port=thread.port,
    )
    server.thread.daemon = True
    server.start()
    yield server
    server.stop()


@pytest.fixture
def unit(db):
    return factories.province_make()


@pytest.fixture
def funds(unit):
    return factories.funds_make(unit)


@pytest.fixture
def campaign(unit, funds):
    return factories.campaign_make(unit=unit, funds=funds)


@pytest.fixture
def no_form_delay(settings):
    settings.PLEDGE_FORM_MIN_SECONDS = 0


@pytest.fixture
def treasurer(db, django_user_model, unit):
    from fundmgr.orgs.models import Membership

    user = django_user_model.objects.create_user(username="thuquy", password="thu-quy-2026!", is_staff=True)
    Membership.objects.create(user=user, unit=unit, role=Membership.Role.TREASURER)
    return user
