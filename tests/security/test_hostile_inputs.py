"""Hostile input against every public entry point: the pledge form, every admin add form (and
changelist search), and every API endpoint under /api/v1/.

The admin and API endpoints are discovered from `admin.site._registry` and the URL resolver,
so each endpoint added later is attacked too. For every input the answer must be:
- never a 5xx;
- either refused (4xx, with a message on the page for HTML forms) or accepted as plain text;
- never echoed or stored in a way that reaches a page unescaped: no page shown afterwards (the
  answer itself, the pledge confirmation, the campaign page, the admin lists) contains the
  active markup.
"""

import datetime
import json
import secrets
import time

import pytest
from django.contrib import admin
from django.core import signing
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone

from campaigns.models import Campaign
from donations.models import Pledge
from fundmgr.ledger.models import Fund

pytestmark = pytest.mark.django_db

# Markup that would run if a page echoed it unescaped.
ACTIVE_MARKUP = ["<script>alert", "<img src=x onerror", "<svg/onload", "<svg onload", "<iframe src=javascript"]

SCRIPT = "<script>alert('xss')</script>"
TEXT_ATTACKS = {
    "script-tag": SCRIPT,
    "attribute-breakout": "\"><script>alert(1)</script>",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg/onload=alert(1)>",
    "iframe-js": "<iframe src=javascript:alert(1)>",
    "js-url": "javascript:alert(document.cookie)",
    "sql-drop": "'; DROP TABLE donations_donor; --",
    "sql-tautology": "1' OR '1'='1",
    "sql-sleep": "1; SELECT pg_sleep(10); --",
    "formula-cmd": "=cmd|' /C calc'!A0",
    "formula-plus": "+SUM(1+1)*cmd|' /C calc'!A0",
    "formula-at": "@SUM(1+1)",
    "formula-minus": "-2+3+cmd|' /C calc'!A0",
    "10k-chars": "A" * 10_000,
    "null-byte": "Nguyễn\x00Văn An",
    "rtl-override": "Nguyễn\u202eVăn An",
    "template-injection": "{{ 7*7 }}{% debug %}",
    "path-traversal": "../../../../etc/passwd",
    "crlf-header": "An\r\nBcc: victim@example.com",
    "emoji-flood": "🙂" * 300,
}
AMOUNT_ATTACKS = {
    "negative": "-500000", "zero": "0", "minus-one": "-1", "huge": "99999999999999999999999",
    "exponent": "1e9", "nan": "NaN", "infinity": "Infinity", "quadrillion": "1.000.000.000.000.000",
    "words-with-script": "5 triệu <script>alert(1)</script>", "hex": "0x10", "arabic-digits": "١٠٠٠٠٠٠",
    "decimal-comma": "1,5", "sql": "1000000; DROP TABLE donations_pledge",
}
EMAIL_ATTACKS = {
    "script-local-part": "<script>alert(1)</script>@example.com", "header-injection": "a@example.com\r\nBcc: b@example.com",
    "no-domain": "a@", "huge": "a" * 5000 + "@example.com", "quoted": "\"<svg/onload=alert(1)>\"@example.com",
}
PHONE_ATTACKS = {"script": "+84 <script>alert(1)</script>", "letters": "call me maybe", "long": "0" * 500, "sql": "0912' OR 1=1 --"}
TAX_CODE_ATTACKS = {"sql": "'; DROP TABLE donations_donor; --", "script": SCRIPT, "long": "1" * 1000}
INSTALLMENT_ATTACKS = {"zero": "0", "negative": "-1", "thirteen": "13", "million": "1000000", "text": "abc"}
KIND_ATTACKS = {"admin": "admin", "script": SCRIPT, "empty": ""}
KEY_ATTACKS = {"long": "k" * 10_000, "sql": "' OR 1=1 --", "traversal": "../../../etc/passwd"}


def assert_no_active_markup(html: str, where: str) -> None:
    lowered = html.lower()
    for marker in ACTIVE_MARKUP:
        assert marker.lower() not in lowered, f"{where}: unescaped {marker!r}"


# --- the pledge form ---------------------------------------------------------------------------

@pytest.fixture
def campaigns(units, settings):
    settings.PLEDGE_FORM_MIN_SECONDS = 0
    settings.PLEDGE_RATE_LIMIT_PER_IP = "100000/m"
    settings.PLEDGE_RATE_LIMIT_PER_EMAIL = "100000/m"
    today = timezone.localdate()

    def make(unit, slug, prefix):
        fund = Fund.objects.create(code=f"F-{prefix}", name=f"Quỹ {prefix}", unit=unit)
        campaign = Campaign.objects.create(
            name=f"Tết khuyến học {prefix}", slug=slug, unit=unit, lunar_year=2026, reference_prefix=prefix,
            starts_on=today - datetime.timedelta(days=10), ends_on=today + datetime.timedelta(days=30),
            goal=1_000_000_000, default_fund=fund, status=Campaign.Status.OPEN, bank_bin="970436",
            bank_name="Vietcombank", bank_account_number="0011004123456", bank_account_name="HOI KHUYEN HOC",
        )
        campaign.funds.set([fund])
        return campaign

    return make(units.commune_a, "tet-xa-a", "TKHA"), make(units.commune_b, "tet-phuong-b", "TKHB")


def started_token() -> str:
    from public.forms import new_started_token

    return new_started_token()


def valid_data(campaign) -> dict:
    return {
        "donor_name": "Nguyễn Văn An", "donor_kind": "individual", "email": "an@example.vn", "phone": "",
        "tax_code": "", "address": "", "amount": "1.000.000", "fund": str(campaign.default_fund_id),
        "installments": "1", "list_on_honor_roll": "on", "message": "",
        "idempotency_key": secrets.token_urlsafe(24), "started": started_token(), "website": "",
    }


def pledge_form_cases():
    cases = []
    for name, value in TEXT_ATTACKS.items():
        cases.append(pytest.param("donor_name", value, id=f"donor_name-{name}"))
    for field in ("message", "address"):
        for name in ("script-tag", "img-onerror", "sql-drop", "formula-cmd", "10k-chars", "null-byte", "template-injection"):
            cases.append(pytest.param(field, TEXT_ATTACKS[name], id=f"{field}-{name}"))
    for field, attacks in (
        ("amount", AMOUNT_ATTACKS), ("email", EMAIL_ATTACKS), ("phone", PHONE_ATTACKS), ("tax_code", TAX_CODE_ATTACKS),
        ("installments", INSTALLMENT_ATTACKS), ("donor_kind", KIND_ATTACKS), ("idempotency_key", KEY_ATTACKS),
    ):
        for name, value in attacks.items():
            cases.append(pytest.param(field, value, id=f"{field}-{name}"))
    for name, value in {"foreign-campaign": "FOREIGN", "zero": "0", "negative": "-1", "text": "abc",
                        "sql": "1 OR 1=1", "huge": "99999999999999999999", "script": SCRIPT}.items():
        cases.append(pytest.param("fund", value, id=f"fund-{name}"))
    for name in ("script-tag", "js-url", "10k-chars"):
        cases.append(pytest.param("website", TEXT_ATTACKS[name], id=f"honeypot-{name}"))
    cases.append(pytest.param("started", "forged-token", id="started-forged"))
    cases.append(pytest.param("started", signing.dumps(time.time() + 10**9, salt="x"), id="started-wrong-salt"))
    return cases


@pytest.mark.parametrize("field, value", pledge_form_cases())
def test_the_pledge_form_refuses_or_safely_keeps_hostile_input(client, campaigns, field, value):
    campaign, other_campaign = campaigns
    if value == "FOREIGN":
        value = str(other_campaign.default_fund_id)
    data = {**valid_data(campaign), field: value}
    pledges_before = Pledge.objects.count()

    response = client.post(reverse("public:pledge-form", args=[campaign.slug]), data)

    assert response.status_code < 500
    if response.status_code == 303:
        # Accepted as text: it must come out escaped wherever it is shown.
        pledge = Pledge.objects.latest("pk")
        assert pledge.fund.campaigns.filter(pk=campaign.pk).exists()
        assert pledge.amount > 0
        for url in (response["Location"], reverse("public:campaign-detail", args=[campaign.slug])):
            page = client.get(url)
            assert page.status_code == 200, url
            assert_no_active_markup(page.content.decode(), url)
    else:
        assert 400 <= response.status_code < 500
        body = response.content.decode()
        assert 'class="form-errors"' in body, "a refused form says why"
        assert_no_active_markup(body, "the re-rendered form")
        assert Pledge.objects.count() == pledges_before
    if field == "fund" and data["fund"] == str(other_campaign.default_fund_id):
        assert not Pledge.objects.filter(fund=other_campaign.default_fund).exists()


RAW_BODIES = {
    "invalid-utf8-name": (b"donor_name=\xff\xfe\xfd&amount=1000000&email=a%40b.vn", "application/x-www-form-urlencoded"),
    "invalid-utf8-everywhere": (b"\xc3\x28\xa0\xa1=\xe2\x28\xa1&\xf0\x28\x8c\xbc", "application/x-www-form-urlencoded"),
    "overlong-utf8": (b"donor_name=%C0%BCscript%C0%BE", "application/x-www-form-urlencoded"),
    "json-to-a-form": (b'{"donor_name": "<script>alert(1)</script>"}', "application/json"),
    "broken-multipart": (b"--x\r\nContent-Disposition: form-data; name=\"donor_name\"\r\n\r\n<script>", "multipart/form-data; boundary=x"),
    "multipart-without-boundary": (b"donor_name=An", "multipart/form-data"),
    "too-many-fields": (b"&".join(b"f%d=1" % number for number in range(1500)), "application/x-www-form-urlencoded"),
    "oversized": (b"message=" + b"x" * 3_000_000, "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("body, content_type", list(RAW_BODIES.values()), ids=list(RAW_BODIES))
def test_the_pledge_form_survives_malformed_bodies(client, campaigns, body, content_type):
    campaign, _other = campaigns
    response = client.generic("POST", reverse("public:pledge-form", args=[campaign.slug]), body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert_no_active_markup(response.content.decode("utf-8", "replace"), "the answer")
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("slug", [SCRIPT, "../admin", "' OR 1=1 --", "a" * 5000])
def test_hostile_campaign_slugs_are_not_found(client, campaigns, slug):
    response = client.get(f"/c/{slug}/pledge/")
    assert response.status_code == 404
    assert_no_active_markup(response.content.decode(), "404")


# --- the admin ---------------------------------------------------------------------------------

ADMIN_ATTACKS = {name: TEXT_ATTACKS[name] for name in ("script-tag", "img-onerror", "sql-drop", "formula-cmd", "10k-chars", "null-byte")}


def registered_admins():
    return [
        pytest.param(model, id=model._meta.label)
        for model in sorted(admin.site._registry, key=lambda model: model._meta.label)
    ]


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user("root", superuser=True))
    return client


def hostile_admin_form_data(response, value) -> dict:
    """Every field of the add form set to `value`, and empty inline formsets.

    A standard add view has `adminform`; a custom one (a pledge entered through its service, a
    statement upload) renders some form of its own: take the first form in the context.
    """
    from django import forms

    if "adminform" in response.context:
        form = response.context["adminform"].form
    else:
        form = next(
            response.context[key] for key in sorted(response.context.keys())
            if isinstance(response.context[key], forms.BaseForm)
        )
    data = {form.add_prefix(name): value for name in form.fields}
    for formset in response.context.get("inline_admin_formsets", []):
        prefix = formset.formset.prefix
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
    return data


@pytest.mark.parametrize("model", registered_admins())
@pytest.mark.parametrize("attack", list(ADMIN_ATTACKS), ids=list(ADMIN_ATTACKS))
def test_admin_add_forms_refuse_or_escape_hostile_input(superuser_client, units, model, attack):
    info = (model._meta.app_label, model._meta.model_name)
    try:
        add_url = reverse("admin:{}_{}_add".format(*info))
    except NoReverseMatch:
        pytest.skip("no add view")
    page = superuser_client.get(add_url)
    if page.status_code == 403:
        assert superuser_client.post(add_url, {"anything": ADMIN_ATTACKS[attack]}).status_code == 403
        return
    assert page.status_code == 200
    count_before = model._default_manager.count()

    response = superuser_client.post(add_url, hostile_admin_form_data(page, ADMIN_ATTACKS[attack]))

    assert response.status_code < 500
    assert_no_active_markup(response.content.decode(), f"{add_url} answer")
    if response.status_code == 200:
        body = response.content.decode()
        assert "errornote" in body or "errorlist" in body, "a refused form says why"
        assert model._default_manager.count() == count_before
    else:
        assert response.status_code in (302, 400, 403)
    changelist = superuser_client.get(reverse("admin:{}_{}_changelist".format(*info)))
    assert changelist.status_code == 200
    assert_no_active_markup(changelist.content.decode(), "changelist")


@pytest.mark.parametrize("model", registered_admins())
def test_admin_changelist_search_and_filters_survive_hostile_parameters(superuser_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    for params in ({"q": SCRIPT}, {"q": "' OR 1=1 --"}, {"q": "A" * 10_000}, {"o": "-1.99"},
                   {"id__exact": SCRIPT}, {"pk__in": "1,2,<svg/onload=alert(1)>"}):
        response = superuser_client.get(url, params)
        assert response.status_code in (200, 302), (params, response.status_code)
        assert_no_active_markup(response.content.decode(), f"{url} {list(params)}")


# --- the API -------------------------------------------------------------------------------------

def api_endpoints(resolver=None, prefix="", namespace=""):
    """(route, URL name with namespace, keyword names) of every view under /api/v1/."""
    resolver = resolver or get_resolver()
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            child_namespace = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(api_endpoints(entry, route, child_namespace))
        elif isinstance(entry, URLPattern) and route.lstrip("^").startswith("api/v1/") and entry.name:
            keywords = sorted(entry.pattern.regex.groupindex)
            if "format" not in keywords:  # format-suffix twins answer like the plain route
                found.append((route, f"{namespace}{entry.name}", keywords))
    return found


def test_api_discovery_finds_router_endpoints():
    from django.urls import include, path
    from rest_framework import routers, serializers, viewsets

    from fundmgr.audit.models import AuditEvent

    class ProbeSerializer(serializers.ModelSerializer):
        class Meta:
            model = AuditEvent
            fields = ["id", "action"]

    class ProbeViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = AuditEvent.objects.all()
        serializer_class = ProbeSerializer

    router = routers.SimpleRouter()
    router.register("probes", ProbeViewSet, basename="probe")

    class URLConf:
        urlpatterns = [path("api/v1/", include((router.urls, "api")))]

    found = api_endpoints(get_resolver(URLConf))
    assert {(name, tuple(keywords)) for _route, name, keywords in found} == {
        ("api:probe-list", ()), ("api:probe-detail", ("pk",)),
    }


API_ENDPOINTS = api_endpoints()
API_BODIES = {
    "hostile-json": json.dumps({
        "name": SCRIPT, "donor_name": SCRIPT, "email": EMAIL_ATTACKS["script-local-part"], "amount": -500_000,
        "fund": 10**12, "message": "A" * 10_000, "reference": "' OR 1=1 --", "memo": TEXT_ATTACKS["formula-cmd"],
    }).encode(),
    "huge-amount": json.dumps({"amount": 10**30, "installments": -1}).encode(),
    "invalid-json": b"{\"name\": <script>",
    "invalid-utf8": b"{\"name\": \"\xff\xfe\"}",
    "not-an-object": b"[1, 2, 3]",
}


def public_read(url) -> bool:
    """Whether anyone may read the endpoint without signing in (the public campaigns); writes stay refused."""
    from rest_framework.permissions import AllowAny

    view_class = getattr(resolve(url).func, "cls", None)
    return view_class is not None and AllowAny in view_class.permission_classes


def api_url(name, keywords, value):
    try:
        return reverse(name, kwargs=dict.fromkeys(keywords, value))
    except NoReverseMatch:
        return reverse(name, kwargs=dict.fromkeys(keywords, "1"))


@pytest.mark.parametrize("route, name, keywords", API_ENDPOINTS, ids=[name for _route, name, _k in API_ENDPOINTS])
@pytest.mark.parametrize("as_superuser", [True, False], ids=["superuser", "anonymous"])
def test_api_endpoints_refuse_hostile_requests_without_a_5xx(client, make_user, units, route, name, keywords, as_superuser):
    if as_superuser:
        client.force_login(make_user("root", superuser=True))
    for key in ("1", SCRIPT, "' OR 1=1 --", "-1", "9" * 30):
        url = api_url(name, keywords, key)
        callback = resolve(url).func
        # An endpoint that declares public reads (the API root, public campaign figures) answers anyone.
        public = bool(getattr(getattr(callback, "cls", None) or getattr(callback, "view_class", None), "public_actions", ()))
        for params in ({}, {"search": SCRIPT, "ordering": "-id;drop", "limit": "-1", "offset": "abc", "fund": "x"}):
            response = client.get(url, params, HTTP_ACCEPT="application/json")
            assert response.status_code < 500, (url, params, response.status_code)
            if not as_superuser:
                refused = {401, 403, 404, 405} | ({200, 400} if public else set())
                assert response.status_code in refused, (url, response.status_code)
        for method in ("POST", "PUT", "PATCH"):
            for body_name, body in API_BODIES.items():
                response = client.generic(method, url, body, content_type="application/json", HTTP_ACCEPT="application/json")
                assert response.status_code < 500, (method, url, body_name, response.status_code)
                if response.status_code < 300:
                    pytest.fail(f"{method} {url} accepted {body_name}: {response.content[:300]!r}")
        html = client.get(url, HTTP_ACCEPT="text/html")
        assert html.status_code < 500
        assert_no_active_markup(html.content.decode("utf-8", "replace"), f"{url} as HTML")
