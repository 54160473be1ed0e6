"""Settings for the Khuyến học fund manager.

Everything is configured by environment variables (see `.env.example`). The defaults serve
the embedded mode that `make run` uses: SQLite in WAL mode, Celery eager, e-mail to files.
Importing this module reads the environment and nothing else: it creates no files or folders.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

# Only the embedded/development mode may run with the built-in key; production must set one.
_DEV_SECRET_KEY = "dev-only-insecure-key-for-the-embedded-demo-never-use-in-production"
# Read as is: django-environ would take a key that starts with "$" for a reference to another
# variable, and random keys do start with "$" now and then.
SECRET_KEY = os.environ.get("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "fundmgr.security.apps.LogInLockOutConfig",  # django-axes, its name translated
    "django_otp",
    "fundmgr.security.apps.TwoFactorConfig",  # django-otp's TOTP, its name translated
    "csp",
    "fundmgr.orgs",
    "fundmgr.ledger",
    "fundmgr.idempotency",
    "fundmgr.api",
    "campaigns",
    "donations",
    "receipts",
    "scholarships",
    "public",
    "fundmgr.audit",
    "fundmgr.security",
    "fundmgr.reports",
    "fundmgr.transparency",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before everything that may answer an error: under /api/ every error is the API's JSON format.
    "fundmgr.api.errors.ApiErrorMiddleware",
    "fundmgr.security.middleware.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "fundmgr.audit.middleware.AuditContextMiddleware",
    "fundmgr.security.otp.OTPRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "fundmgr.urls"
WSGI_APPLICATION = "fundmgr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue behind each other
        # (for up to `timeout` seconds) instead of failing with "database is locked" mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # A file, not :memory:, so that tests with threads or processes share one database.
    # SQLITE_TEST_NAME lets two test runs on one machine keep apart.
    DATABASES["default"]["TEST"] = {"NAME": env.str("SQLITE_TEST_NAME", default=str(VAR_DIR / "test.sqlite3"))}
else:
    # Connection set-up dominates a short request on PostgreSQL: keep connections open.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, idempotency) ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Short socket timeouts: the rate limits fail open when Redis is down (fundmgr/rate_limit.py),
    # and an unreachable host must not hold a request for the kernel's connect timeout first.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    # The embedded mode runs one process; the local-memory cache is shared by its threads.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: refuses log-ins that django-axes has locked out (see "Security" below).
    "fundmgr.security.backends.LoginLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-pass-2026")

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "vi"
# Day-first date input for Vietnamese (fundmgr/formats/vi); English keeps Django's English formats.
FORMAT_MODULE_PATH = ["fundmgr.formats"]
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "fundmgr" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# --- E-mail ---------------------------------------------------------------------------------
def _email_settings(url: str) -> dict:
    """EMAIL_URL as Django settings. A `filemail://` path is read here: django-environ drops its
    first slash (`filemail:///srv/mail` became `srv/mail`, relative to the working directory, so
    the default folder ended up at a doubled path). Absolute stays absolute; relative is from
    the project directory (`filemail://var/mail`)."""
    if url and not url.startswith("filemail://"):
        return env.email_url_config(url)
    path = url.removeprefix("filemail://") or str(VAR_DIR / "mail")
    folder = Path("/" + path.lstrip("/")) if path.startswith("/") else BASE_DIR / path
    return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(folder)}


vars().update(_email_settings(env.str("EMAIL_URL", default="")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Hội Khuyến học <no-reply@khuyenhoc.local>")
# The site's address as donors reach it (https://khuyenhoc.example.vn), for the links in e-mails;
# e-mails leave their links out while it is empty.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker (the embedded mode) tasks run in the caller, after commit like everywhere.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=900)
# Redis redelivers an unacknowledged message after this; it must exceed the longest job.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues per kind of job (docs/operations.md, "Sizing"). A worker started without `-Q` consumes
# every queue listed here (the embedded mode, the tests, a small site); a large site runs workers
# per queue, so that a long report or import never delays what a donor is waiting for.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name) for name in ("celery", "donors", "imports", "reports")]
CELERY_TASK_ROUTES = {
    "donations.tasks.bank_statement_import_task": {"queue": "imports"},  # before the donors' pattern
    "receipts.tasks.*": {"queue": "donors"},  # receipt PDFs and e-mails, annual statements
    "donations.tasks.*": {"queue": "donors"},  # pledge confirmations and reminders
    "fundmgr.reports.tasks.*": {"queue": "reports"},  # exports, whatever their size
    "fundmgr.ledger.tasks.*": {"queue": "reports"},  # the nightly verify_ledger reads every line
    "scholarships.tasks.allocation_job_task": {"queue": "imports"},  # a large program's run
}

# --- Pledge reminders (beat, daily at 08:00; donations.services.pledge_reminders_due) ------------
# An e-mail this many days before an installment is due, and this many days after it (if unpaid);
# a day the job missed is caught up for this many days.
PLEDGE_REMINDER_DAYS_BEFORE = env.int("PLEDGE_REMINDER_DAYS_BEFORE", default=3)
PLEDGE_REMINDER_DAYS_AFTER = env.int("PLEDGE_REMINDER_DAYS_AFTER", default=7)
PLEDGE_REMINDER_CATCH_UP_DAYS = env.int("PLEDGE_REMINDER_CATCH_UP_DAYS", default=3)

# --- Reports (fundmgr/reports) ------------------------------------------------------------------
# A report's file is kept this many days, then deleted by a daily job (the run's row and manifest stay).
REPORT_FILE_DAYS = env.int("REPORT_FILE_DAYS", default=7)
# A report the exporter counts at this many rows or fewer is written in the request, not by a worker
# (0: always by a worker).
REPORT_INLINE_MAX_ROWS = env.int("REPORT_INLINE_MAX_ROWS", default=2000)
# How often (in rows) a running report records its progress for the admin's progress bar.
REPORT_PROGRESS_EVERY = env.int("REPORT_PROGRESS_EVERY", default=5000)

# --- Transparency log (fundmgr/transparency; docs/transparency.md) -------------------------------
# The name the signed checkpoints give the log (one line of the signed text: no line breaks).
TRANSPARENCY_ORIGIN = env.str("TRANSPARENCY_ORIGIN", default=env.str("SITE_ADDRESS", default="khuyenhoc.local"))
# The Ed25519 private key that signs checkpoints, never in the database: PEM (PKCS#8) or the base64 of
# the 32-byte seed, in the variable itself (read as is) or in a file.
TRANSPARENCY_SIGNING_KEY = os.environ.get("TRANSPARENCY_SIGNING_KEY", "")
TRANSPARENCY_SIGNING_KEY_FILE = env.str("TRANSPARENCY_SIGNING_KEY_FILE", default="")
# Development and tests only: with no key configured, one is generated once into this file (mode 0600)
# so that `make run` signs; with DEBUG off there is none, and taking a checkpoint fails until a key is set.
TRANSPARENCY_DEV_KEY_FILE = str(VAR_DIR / "transparency" / "signing-key.pem") if DEBUG else ""
# The copy of every checkpoint outside the database, one JSON line each (default: MEDIA_ROOT/transparency/).
TRANSPARENCY_CHECKPOINT_FILE = env.str("TRANSPARENCY_CHECKPOINT_FILE", default="")

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Integrations send a token (fundmgr/api/authentication.py); the browser keeps its session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "fundmgr.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Each view declares its domain; fundmgr/orgs/roles.py decides (fundmgr/api/permissions.py).
    "DEFAULT_PERMISSION_CLASSES": [
        "fundmgr.api.permissions.ReadScopeOnlyReads",
        "fundmgr.api.permissions.DomainPermission",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "fundmgr.api.throttling.CallerThrottle",
        "fundmgr.api.throttling.AddressThrottle",
    ],
    "EXCEPTION_HANDLER": "fundmgr.api.errors.api_exception_handler",
    # django-filter, but an empty or unreadable filter value is a 400, not silently ignored.
    "DEFAULT_FILTER_BACKENDS": ["fundmgr.api.filtering.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "fundmgr.api.schema.ApiAutoSchema",
    # `?format=` is a filter here (a statement's bank layout, a report's file type), not a choice of
    # renderer: with DRF's default, `?format=csv` answered 404 because no renderer is named "csv".
    "URL_FORMAT_OVERRIDE": None,
    # ?limit= (at most 200 a page) and ?offset=; a malformed one is a 400, never a 500.
    "DEFAULT_PAGINATION_CLASS": "fundmgr.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    # JSON nested past 32 levels is a 400 (the standard parser would recurse into a 500).
    "DEFAULT_PARSER_CLASSES": [
        "fundmgr.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
# Requests per fixed window (fundmgr/api/throttling.py): per token, per logged-in user, per
# anonymous caller's IP (stricter), and per IP whoever calls.
API_THROTTLE_RATES = {
    "token": env.str("API_RATE_TOKEN", default="600/m"),
    "user": env.str("API_RATE_USER", default="600/m"),
    "anonymous": env.str("API_RATE_ANONYMOUS", default="60/m"),
    "ip": env.str("API_RATE_IP", default="1200/m"),
}
# An integration token lives at most this long; a new one is made before it ends.
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
SPECTACULAR_SETTINGS = {
    "TITLE": "Khuyến học fund manager API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from our own static files: no CDN, and the CSP needs no exception.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per set of choices that several fields share (else the schema's names would depend
    # on the order the views are read in).
    "ENUM_NAME_OVERRIDES": {
        "PaymentMethodEnum": "donations.models.Payment.Method",
        "DisbursementMethodEnum": "scholarships.models.Disbursement.Method",
        "ReportFormatEnum": "fundmgr.reports.models.ReportRun.Format",
        "BankStatementFormatEnum": "donations.models.BankStatementImport.Format",
        "BankStatementUploadFormatEnum": "donations.api.bank_statements.FORMAT_CHOICES",
        # A background job's state (bank-statement imports, report runs): one enum for all of them.
        "JobStatusEnum": "fundmgr.core.outbox.JobStatus",
    },
}

# --- Security (production) ------------------------------------------------------------------
NUMBER_OF_PROXIES = env.int("NUMBER_OF_PROXIES", default=0)
# The PostgreSQL role the application connects as in production (it owns nothing); when set,
# `migrate`, run as the owner, re-grants it after the migrations (fundmgr/audit/db_roles.py).
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if NUMBER_OF_PROXIES else None
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Rotating SECRET_KEY: put the old key here while sessions and signed links made with it expire.
SECRET_KEY_FALLBACKS = [key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key]
CSRF_COOKIE_HTTPONLY = True  # no page script reads it; forms carry the token in a hidden field
# A form or JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE, or any body over this, is answered 413.
MAX_REQUEST_BODY_SIZE = env.int("MAX_REQUEST_BODY_SIZE", default=20 * 1024 * 1024)

# Log-in lock-out (django-axes): 5 failures for one username from one address lock that pair
# out for 30 minutes. The address comes from the same helper as the audit trail's, which trusts
# X-Forwarded-For only as far as NUMBER_OF_PROXIES.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "fundmgr.audit.context.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_LOCKOUT_TEMPLATE = "audit/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429

# Two-factor log-in (django-otp, TOTP) for these membership roles, plus "superuser" for
# superusers. Empty in the embedded demo; production sets e.g. "treasurer,admin,superuser".
OTP_REQUIRED_ROLES = env.list("OTP_REQUIRED_ROLES", default=[])
OTP_PROTECTED_PATH_PREFIXES = ["/admin/", "/api/"]
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Khuyen hoc")

# Personal data of students (minors) is kept this many years after the record's last activity
# (created, changed, nominated, awarded), then erased in place by a daily job; amounts and the
# ledger stay. Five years covers a student's whole secondary schooling plus the audit window.
STUDENT_DATA_RETENTION_YEARS = env.int("STUDENT_DATA_RETENTION_YEARS", default=5)

# Content Security Policy (django-csp): no inline script or style anywhere; the admin and the
# public pages load everything from this site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# --- Audit trail ----------------------------------------------------------------------------
# Tables the PostgreSQL audit trigger watches (patterns allowed); see fundmgr/audit/triggers.py.
AUDITED_TABLES = env.list("AUDITED_TABLES", default=[
    "donations_donor", "donations_pledge", "donations_pledgeinstallment", "donations_payment",
    "ledger_fund", "campaigns_campaign", "receipts_receipt", "scholarships_*",
])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every log-in at INFO; lock-outs (WARNING) are what operators need to see.
    "loggers": {
        "axes": {"level": "WARNING"},
        # One INFO line per task is noise in the embedded mode, where every task runs in-process.
        "celery.app.trace": {"level": env.str("CELERY_TRACE_LOG_LEVEL", default="WARNING")},
    },
}
