"""The shipped deployment (docker-compose.yml, .env.example, deploy/Caddyfile) against forged
client addresses and an insider (issue #10, points 8 and 9).

Point 8, the client address as the shipped deployment delivers it.

`client_ip` trusts `NUMBER_OF_PROXIES` hops of X-Forwarded-For. That is only safe when exactly
that many proxies of ours sit in front of gunicorn and nobody can reach gunicorn around them:
with gunicorn published directly and NUMBER_OF_PROXIES=1, the last hop of the header is whatever
the client wrote, and a new forged address each time walks past the log-in lock-out and the
pledge form's rate limit. So these tests read the files we ship (docker-compose.yml,
.env.example, deploy/Caddyfile), not settings a test chose, and forge the header against them.
"""

import datetime
import re

import pytest
import yaml
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Pledge
from fundmgr.ledger.models import Fund
from public import views as donation_views
from tests.campaigns import factories

from .conftest import PASSWORD

ROOT = django_settings.BASE_DIR
PROXY_IMAGES = {"caddy", "nginx"}
PROXY_ADDRESS = "172.18.0.5"  # the proxy container, as gunicorn's socket sees it
CLIENT = "198.51.100.7"  # the attacker's real address, which the proxy writes as the last hop


def shipped_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def shipped_env() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def proxy_services(services: dict) -> list[str]:
    return sorted(name for name, service in services.items()
                  if str(service.get("image", "")).split(":")[0].split("/")[-1] in PROXY_IMAGES)


def test_only_the_proxy_is_published_and_the_proxy_count_matches_it():
    services = shipped_compose()["services"]
    proxies = proxy_services(services)
    published = sorted(name for name, service in services.items() if service.get("ports"))

    assert proxies == ["proxy"]
    assert published == proxies  # gunicorn cannot be reached around the proxy
    assert services["web"]["expose"] == ["8000"]
    assert sorted(services["proxy"]["ports"]) == ["443:443", "443:443/udp", "80:80"]
    # Every process of the app counts the same one hop, and so does the example configuration.
    for name in ("web", "worker", "beat"):
        assert services[name]["environment"]["NUMBER_OF_PROXIES"] == str(len(proxies)), name
    assert shipped_env()["NUMBER_OF_PROXIES"] == str(len(proxies))


def test_the_proxy_overwrites_forwarded_headers_and_passes_to_gunicorn():
    services = shipped_compose()["services"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    directives = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "deploy" / "Caddyfile").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    assert "reverse_proxy web:8000 {" in directives
    # Without trusted_proxies Caddy ignores the client's X-Forwarded-* and writes its own: gunicorn
    # sees one hop. Trusting anyone here would hand the client the last hop again.
    assert not [line for line in directives if line.startswith("trusted_proxies")]
    assert "header_up X-Request-ID {http.request.uuid}" in directives
    assert any(re.fullmatch(r"\{\$SITE_ADDRESS\} \{", line) for line in directives)  # TLS by host name


def test_the_app_connects_as_the_role_that_owns_nothing_and_the_owner_only_migrates():
    services = shipped_compose()["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://fundmgr_app:${APP_DB_PASSWORD"), name
        assert environment["POSTGRES_PASSWORD"] == "", name  # .env's owner password is blanked out
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://fundmgr:${POSTGRES_PASSWORD")
    assert migrate["command"] == [
        "sh", "-c",
        "python manage.py migrate --no-input && "
        "python manage.py db_roles --app-role fundmgr_app --password-env APP_DB_PASSWORD",
    ]
    assert "migrate" not in services["web"].get("command", [])  # gunicorn alone, as the app role


@pytest.fixture
def as_shipped(settings):
    settings.NUMBER_OF_PROXIES = int(shipped_env()["NUMBER_OF_PROXIES"])
    for name in ("PLEDGE_RATE_LIMIT_PER_IP", "PLEDGE_RATE_LIMIT_PER_EMAIL", "PLEDGE_FORM_MIN_SECONDS"):
        if hasattr(settings, name):
            delattr(settings, name)
    return settings


def forged(attempt: int) -> dict:
    """What gunicorn receives when the client forged a new address and the proxy added the real one."""
    return {"REMOTE_ADDR": PROXY_ADDRESS, "HTTP_X_FORWARDED_FOR": f"1.2.3.{attempt}, {CLIENT}"}


def test_forging_the_header_does_not_reset_the_log_in_lock_out(client, as_shipped, make_user, units):
    make_user("thuquy", unit=units.province, superuser=True)

    def log_in(password, attempt):
        return client.post(reverse("admin:login"), {"username": "thuquy", "password": password},
                           **forged(attempt))

    assert [log_in("sai", attempt).status_code for attempt in range(5)] == [200, 200, 200, 200, 429]
    assert log_in(PASSWORD, 99).status_code == 429
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [CLIENT]
    # Another client behind the same proxy logs in.
    other = {"REMOTE_ADDR": PROXY_ADDRESS, "HTTP_X_FORWARDED_FOR": "198.51.100.8"}
    assert client.post(reverse("admin:login"), {"username": "thuquy", "password": PASSWORD},
                       **other).status_code == 302


@pytest.mark.usefixtures("rate_limit_clock")
def test_forging_the_header_does_not_reset_the_pledge_form_limit(client, as_shipped, units):
    today = timezone.localdate()
    fund = Fund.objects.create(code="F-PX", name="Quỹ PX", unit=units.province)
    campaign = Campaign.objects.create(
        name="Tết khuyến học", slug="tet-proxy", unit=units.province, lunar_year=2026, reference_prefix="TKHP",
        starts_on=today - datetime.timedelta(days=10), ends_on=today + datetime.timedelta(days=30),
        goal=1_000_000_000, default_fund=fund, status=Campaign.Status.OPEN, bank_bin="970436",
        bank_name="Vietcombank", bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC",
    )
    campaign.funds.set([fund])
    url = f"/c/{campaign.slug}/pledge/"
    limit = int(donation_views.PER_IP_DEFAULT.split("/")[0])

    def pledge(number, headers):
        data = factories.valid_form_data(campaign, email=f"donor{number}@example.com")
        return client.post(url, data, **headers).status_code

    assert [pledge(number, forged(number)) for number in range(limit)] == [303] * limit
    assert pledge(limit, forged(limit)) == 429
    assert Pledge.objects.count() == limit
    # The limit follows the real client: another one behind the same proxy still pledges.
    assert pledge(limit + 1, {"REMOTE_ADDR": PROXY_ADDRESS, "HTTP_X_FORWARDED_FOR": "198.51.100.8"}) == 303
