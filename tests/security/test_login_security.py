"""Admin log-in: the lock-out after repeated failures (django-axes), the client IP it is keyed
by, and the optional TOTP second factor (django-otp) for the roles that require it."""

import datetime
import time

import pytest
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fundmgr.audit.context import client_ip
from fundmgr.orgs.models import Membership

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
Role = Membership.Role
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


def log_in(client, username, password, ip="203.0.113.9", **headers):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": INDEX}, REMOTE_ADDR=ip, **headers
    )


# --- the client IP ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "proxies, remote, forwarded, expected",
    [
        (0, "203.0.113.7", "", "203.0.113.7"),
        (0, "203.0.113.7", "198.51.100.1", "203.0.113.7"),  # no proxy: the header is the client's word
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the forged left part is ignored
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        (2, "10.0.0.3", "198.51.100.1", "198.51.100.1"),  # entered at the second proxy: it wrote the entry
        (1, "10.0.0.2", "", "10.0.0.2"),  # no header: the socket
        (1, "10.0.0.2", "[2001:db8::1]:4711", "2001:db8::1"),
        (1, "10.0.0.2", "198.51.100.1:443", "198.51.100.1"),
        (1, "10.0.0.2", "not-an-address", None),
        (0, "", "", None),
    ],
)
def test_client_ip_trusts_forwarded_for_only_as_far_as_our_proxies(settings, proxies, remote, forwarded, expected):
    settings.NUMBER_OF_PROXIES = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_the_rate_limits_and_the_lockout_use_this_same_function(settings):
    # One rule for the client IP. The rate limiter used to keep its own copy, which kept ports
    # and did not validate the address; it now imports this one.
    from fundmgr.security import rate_limit

    assert rate_limit.client_ip is client_ip
    assert settings.AXES_CLIENT_IP_CALLABLE == "fundmgr.audit.context.client_ip"


# --- lock-out ----------------------------------------------------------------------------------

def test_five_failures_lock_the_username_and_address_out_for_thirty_minutes(client, make_user, units):
    make_user("thuquy", role=Role.TREASURER, unit=units.province)

    statuses = [log_in(client, "thuquy", "sai-mat-khau").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]

    refused = log_in(client, "thuquy", PASSWORD)  # the right password no longer helps
    assert refused.status_code == 429
    assert "Đăng nhập tạm thời bị khóa" in refused.content.decode()
    assert "Log-in temporarily locked" in refused.content.decode()
    assert "_auth_user_id" not in client.session

    # Keyed by username and address: the same user elsewhere, and another user here, still log in.
    assert log_in(client.__class__(), "thuquy", PASSWORD, ip="198.51.100.50").status_code == 302
    make_user("kiemtra", role=Role.AUDITOR, unit=units.province)
    assert log_in(client.__class__(), "kiemtra", PASSWORD).status_code == 302

    # Thirty minutes later the pair may try again.
    AccessAttempt.objects.update(attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31))
    assert log_in(client, "thuquy", PASSWORD).status_code == 302


def test_behind_a_proxy_the_lock_out_follows_the_real_client_not_forged_headers(client, settings, make_user, units):
    settings.NUMBER_OF_PROXIES = 1
    make_user("thuquy", role=Role.TREASURER, unit=units.province)
    for attempt in range(5):
        # The attacker changes the forged left part each time; our proxy appends the real address.
        log_in(client, "thuquy", "sai", ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"1.2.3.{attempt}, 198.51.100.7")

    assert log_in(client, "thuquy", PASSWORD, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="9.9.9.9, 198.51.100.7").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    # Another client behind the same proxy is not affected.
    assert log_in(client, "thuquy", PASSWORD, ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 302


def test_code_that_logs_a_user_in_without_a_request_is_not_blocked(client, make_user, units):
    make_user("thuquy", role=Role.TREASURER, unit=units.province)
    assert client.login(username="thuquy", password=PASSWORD) is True
    assert client.get(INDEX).status_code == 200


# --- two-factor --------------------------------------------------------------------------------

def current_token(device: TOTPDevice) -> str:
    generator = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    generator.time = time.time()
    return f"{generator.token():0{device.digits}d}"


def test_no_role_needs_a_second_factor_by_default(client, make_user, units):
    client.force_login(make_user("thuquy", role=Role.TREASURER, unit=units.province))
    response = client.get(INDEX)
    assert response.status_code == 200
    assert "admin/index.html" in [template.name for template in response.templates]


def test_a_required_role_enrols_an_authenticator_then_enters_with_its_code(client, settings, make_user, units):
    settings.OTP_REQUIRED_ROLES = ["treasurer"]
    treasurer = make_user("thuquy", role=Role.TREASURER, unit=units.province)
    client.force_login(treasurer)

    page = client.get(INDEX)
    assert page.status_code == 200
    assert "security/otp_verify.html" in [template.name for template in page.templates]
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=treasurer)
    assert device.confirmed is False

    wrong = client.post(INDEX, {"otp_token": "000000" if current_token(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "Mã không đúng" in wrong.content.decode()

    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above started django-otp's back-off
    device.save()
    accepted = client.post(INDEX, {"otp_token": current_token(device)})
    assert accepted.status_code == 302 and accepted["Location"] == INDEX
    device.refresh_from_db()
    assert device.confirmed is True
    response = client.get(INDEX)
    assert "admin/index.html" in [template.name for template in response.templates]


def test_a_required_role_with_a_device_is_asked_for_its_code_and_keeps_out_of_the_api(client, settings, make_user, units):
    settings.OTP_REQUIRED_ROLES = ["treasurer"]
    treasurer = make_user("thuquy", role=Role.TREASURER, unit=units.province)
    device = TOTPDevice.objects.create(user=treasurer, name="phone", confirmed=True)
    client.force_login(treasurer)

    page = client.get(reverse("admin:audit_auditevent_changelist"))
    assert "security/otp_verify.html" in [template.name for template in page.templates]
    assert "<svg" not in page.content.decode()  # nothing to enrol
    assert client.get(reverse("api-schema")).status_code == 403

    assert client.post(INDEX, {"otp_token": current_token(device)}).status_code == 302
    assert client.get(reverse("api-schema")).status_code == 200
    assert TOTPDevice.objects.filter(user=treasurer).count() == 1


def test_roles_not_named_and_superusers_unless_named_go_straight_in(client, settings, make_user, units):
    settings.OTP_REQUIRED_ROLES = ["treasurer"]
    for user in (make_user("kiemtra", role=Role.AUDITOR, unit=units.province), make_user("root", superuser=True)):
        client.force_login(user)
        assert "admin/index.html" in [template.name for template in client.get(INDEX).templates]

    settings.OTP_REQUIRED_ROLES = ["superuser"]
    assert "security/otp_verify.html" in [template.name for template in client.get(INDEX).templates]


def test_an_unverified_user_may_still_log_out(client, settings, make_user, units):
    settings.OTP_REQUIRED_ROLES = ["treasurer"]
    client.force_login(make_user("thuquy", role=Role.TREASURER, unit=units.province))
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session



def test_the_two_factor_page_speaks_english_too(client, settings, make_user, units):
    settings.OTP_REQUIRED_ROLES = ["treasurer"]
    client.force_login(make_user("thuquy", role=Role.TREASURER, unit=units.province))
    page = client.get(INDEX, HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    assert "Two-factor verification" in body and "Scan the QR code" in body
    assert "Xác thực hai lớp" not in body
