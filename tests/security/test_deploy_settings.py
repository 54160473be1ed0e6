"""Production settings, security headers, the Content Security Policy and the error pages."""

import base64
import os
import secrets
import string
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from fundmgr.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def production_environment(**extra):
    alphabet = string.ascii_letters + string.digits + "!@#$%^&*(-_=+)"
    environment = {
        key: value for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        DEBUG="0",
        SECRET_KEY="".join(secrets.choice(alphabet) for _ in range(50)),
        ALLOWED_HOSTS="example.vn",
        # Production signs its transparency checkpoints with a key from the environment (or a file).
        TRANSPARENCY_SIGNING_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        **extra,
    )
    return environment


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"NUMBER_OF_PROXIES": "1", "CSRF_TRUSTED_ORIGINS": "https://example.vn", "OTP_REQUIRED_ROLES": "treasurer,admin,superuser"},
    ],
    ids=["direct", "behind-a-proxy"],
)
def test_check_deploy_reports_no_issue_with_production_settings(extra):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=django_settings.BASE_DIR, env=production_environment(**extra),
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced).", result.stdout
    assert result.stderr.strip() == ""


def test_production_settings_are_strict():
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS, s.SECRET_KEY_FALLBACKS)"
    )
    environment = production_environment(
        NUMBER_OF_PROXIES="1", CSRF_TRUSTED_ORIGINS="https://example.vn", SECRET_KEY_FALLBACKS="old-key-1",
        DJANGO_SETTINGS_MODULE="fundmgr.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=django_settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120, check=True,
    )
    assert result.stdout.strip() == (
        "False True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') ['https://example.vn'] ['old-key-1']"
    )


def test_a_secret_key_is_taken_as_written_even_when_it_starts_with_a_dollar():
    # django-environ reads "$NAME" as a reference to another variable; a random key may start so.
    environment = production_environment(DJANGO_SETTINGS_MODULE="fundmgr.settings")
    environment["SECRET_KEY"] = "$ecret-" + "x" * 50
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"],
        cwd=django_settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120, check=True,
    )
    assert result.stdout.strip() == "$ecret-" + "x" * 50


def test_production_refuses_to_start_without_a_secret_key():
    environment = production_environment(DJANGO_SETTINGS_MODULE="fundmgr.settings")
    del environment["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=django_settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


# --- headers ---------------------------------------------------------------------------------

def csp_directives(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = set(sources)
    return directives


@pytest.mark.parametrize("path", ["/admin/login/", "/", "/no-such-page/", "/healthz", "/api/schema/"])
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    directives = csp_directives(response)
    assert directives["script-src"] == {"'self'"}
    assert directives["style-src"] == {"'self'"}
    assert directives["object-src"] == {"'none'"}
    assert directives["frame-ancestors"] == {"'none'"}
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]
    if response.get("Content-Type", "").startswith("text/html"):
        assert response["X-Frame-Options"] == "DENY"


def test_the_api_docs_load_nothing_from_outside_and_need_no_exception(client, make_user):
    client.force_login(make_user("root", superuser=True))
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    assert csp_directives(response)["script-src"] == {"'self'"}
    html = response.content.decode()
    assert "https://" not in html.split("<body", 1)[0] + html.split("<body", 1)[1].split("</body>")[0].replace(
        "https://swagger.io", ""
    )
    for chunk in html.split("<script")[1:]:
        assert "src=" in chunk.split(">", 1)[0], chunk[:200]


def test_the_admin_pages_use_no_inline_script(client, make_user):
    client.force_login(make_user("root", superuser=True))
    for url in (reverse("admin:index"), reverse("admin:auth_user_add"), reverse("admin:audit_auditevent_changelist")):
        html = client.get(url).content.decode()
        # Every <script> element loads a file; inline ones would be blocked by the policy.
        for chunk in html.split("<script")[1:]:
            assert "src=" in chunk.split(">", 1)[0], chunk[:200]
        assert " onclick=" not in html and " onload=" not in html


# --- error pages -----------------------------------------------------------------------------

def test_404_is_the_bilingual_page_not_a_debug_page(client):
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Không tìm thấy trang" in body and "Page not found" in body
    assert "URLconf" not in body and "Traceback" not in body


def test_500_is_the_bilingual_page_and_shows_nothing_of_the_error(client, settings):
    settings.ROOT_URLCONF = "tests.security.urls_with_failing_view"
    client.raise_request_exception = False
    response = client.get("/__fail__/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Đã có lỗi ở máy chủ" in body and "Server error" in body
    assert "RuntimeError" not in body and "a bug" not in body


def test_400_for_a_forged_host(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.content.decode() and "Bad request" in response.content.decode()


def test_403_for_a_forbidden_admin_page(client, make_user):
    client.force_login(make_user("root", superuser=True))
    response = client.get(reverse("admin:audit_auditevent_add"))
    assert response.status_code == 403
    assert "Không có quyền truy cập" in response.content.decode()


@pytest.mark.parametrize(
    "content_type, size, status",
    [
        ("application/json", django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1, 413),
        ("application/x-www-form-urlencoded", django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1, 413),
        ("multipart/form-data; boundary=x", django_settings.MAX_REQUEST_BODY_SIZE + 1, 413),
    ],
)
def test_oversized_bodies_get_413_before_they_are_read(client, content_type, size, status):
    response = client.generic("POST", "/api/v1/", data=b"x" * size, content_type=content_type)
    assert response.status_code == status
    # Under /api/ the page becomes the API's one error format (fundmgr/api/errors.py).
    assert response.json() == {"code": "request_too_large", "message": "Dữ liệu gửi lên quá lớn.", "errors": {}}
    assert not AuditEvent.objects.exists()


def test_a_multipart_upload_under_the_upload_limit_is_not_refused_by_size(client):
    # Files in a multipart body do not count towards DATA_UPLOAD_MAX_MEMORY_SIZE.
    response = client.generic(
        "POST", "/api/v1/", data=b"x" * (django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1),
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code != 413
