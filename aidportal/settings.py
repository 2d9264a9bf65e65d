"""Settings for AidPortal, read from the environment in this one module.

Variables: DATABASE_URL, MIGRATION_DATABASE_URL, CONN_MAX_AGE, SECRET_KEY, DEBUG, ALLOWED_HOSTS,
PRODUCTION, DEFAULT_PROGRAMME, SERVE_MEDIA, EXPORTS_ROOT, REDIS_URL, CELERY_BROKER_URL,
CELERY_BEAT_SCHEDULE_FILENAME, IMPORT_BACKGROUND_BYTES, PAGE_FRESH_SECONDS, EMAIL_*,
DEFAULT_FROM_EMAIL, WEBHOOK_*, SITE_URL, NUM_PROXIES, IATI_REPORTING_ORG_REF, IATI_SECTORS.
Unset, they give a local demo on a SQLite file; PRODUCTION=1 turns on every protection that
`manage.py check --deploy` asks for and refuses to start without a SECRET_KEY or a REDIS_URL.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

# Django's generic classes (ModelAdmin[ApiKey], QuerySet[Project]) subscriptable at runtime, as the
# type checker reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_count(name: str, meaning: str, default: int = 0) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not (value.isascii() and value.isdigit()):
        raise ImproperlyConfigured(f"{name} must be {meaning} (0 or more), not {value!r}.")
    return int(value)


def local_secret_key() -> str:
    """A key generated once per checkout and kept in an ignored file, never committed."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


PRODUCTION = env_bool("PRODUCTION")
DEBUG = env_bool("DEBUG") and not PRODUCTION

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PRODUCTION=1.")
    SECRET_KEY = local_secret_key()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "modeltranslation",  # must precede django.contrib.admin
    "core.sites.PortalAdminConfig",  # django.contrib.admin, with the staff desk
    # Before django.contrib.auth, so its createsuperuser (which explains enrolment) is the one run.
    "second_factor",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_http_compression",
    "django_prometheus",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "imagekit",
    "csp",
    "aidportal.apps.AxesConfig",
    "django_otp",
    "aidportal.apps.TOTPConfig",
    "aidportal.apps.StaticConfig",
    "core",
    "api",
    "reference",
    "projects",
    "funding",
    "medical",
    "education",
    "changes",
    "opendata",
    # Last: grants the runtime role its privileges once every app has migrated.
    "aidportal.database",
]

MIDDLEWARE = [
    # First and (almost) last: the request metrics see the whole request, and the access log
    # times it (aidportal/metrics.py, aidportal/access_log.py).
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "aidportal.access_log.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the database (the session, the user): whether reads may use the
    # replica, and after a write, that this caller reads the primary for a while.
    "aidportal.database.replica.ReplicaReadsMiddleware",
    # Above every middleware that writes a body: compresses pages and JSON (zstd, br or gzip by
    # Accept-Encoding), never a response marked private (aidportal/compression.py).
    "aidportal.compression.CompressionMiddleware",
    "csp.middleware.CSPMiddleware",
    "aidportal.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Whether the session has passed the second factor, then the wall for those who must.
    "django_otp.middleware.OTPMiddleware",
    "second_factor.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Inside every middleware that adds a header, so that the refusal carries them all.
    "aidportal.middleware.RefuseTraceMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "aidportal.urls"
WSGI_APPLICATION = "aidportal.wsgi.application"

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
                "projects.context_processors.data_as_of",
                "projects.context_processors.site_frame",
            ],
        },
    },
]

# The web process and workers connect as DATABASE_URL's runtime role, which owns nothing; on
# PostgreSQL, migrations run as the tables' owner: `manage.py migrate --database owner` with
# MIGRATION_DATABASE_URL (the same database, another role). See aidportal/database/.
DATABASES = {"default": dj_database_url.config(default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A worker keeps its connection open between requests (opening one costs more than most pages),
# checked before each request reuses it, except on the embedded demo's SQLite file, where opening
# is free. Celery closes its worker's connection at the end of every task whatever this says.
_PERSISTENT = "sqlite" not in DATABASES["default"]["ENGINE"]
CONN_MAX_AGE = env_count("CONN_MAX_AGE", "a number of seconds", 600 if _PERSISTENT else 0)
DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE
DATABASES["default"]["CONN_HEALTH_CHECKS"] = CONN_MAX_AGE > 0
MIGRATION_DATABASE_URL = os.environ.get("MIGRATION_DATABASE_URL", "")
if MIGRATION_DATABASE_URL:
    DATABASES["owner"] = dj_database_url.parse(MIGRATION_DATABASE_URL)
    _same = ("ENGINE", "NAME", "HOST", "PORT")
    if any(DATABASES["owner"].get(k) != DATABASES["default"].get(k) for k in _same):
        raise ImproperlyConfigured(
            "MIGRATION_DATABASE_URL must name the same database as DATABASE_URL (engine, host, "
            "port and name), with the owner role instead of the runtime role."
        )
# A streaming replica that public reads go to (aidportal/database/replica.py): the same database
# reached as the same runtime role on another server. Unset, everything reads the primary.
REPLICA_DATABASE_URL = os.environ.get("REPLICA_DATABASE_URL", "")
if REPLICA_DATABASE_URL:
    DATABASES["replica"] = dj_database_url.parse(
        REPLICA_DATABASE_URL,
        conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0),
        conn_health_checks=DATABASES["default"].get("CONN_HEALTH_CHECKS", False),
    )
    if any(
        DATABASES["replica"].get(k) != DATABASES["default"].get(k)
        for k in ("ENGINE", "NAME", "USER")
    ):
        raise ImproperlyConfigured(
            "REPLICA_DATABASE_URL must name the same database as DATABASE_URL (engine and name), "
            "as the same runtime role, on the replica's host or port."
        )
    # The test suite has no replica of its own: there the alias is the test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# A caller that has written reads the primary for this long (longer than the replica ever lags).
REPLICA_READ_YOUR_WRITES_SECONDS = env_count(
    "REPLICA_READ_YOUR_WRITES_SECONDS", "a number of seconds", 10
)
REPLICA_READ_YOUR_WRITES_COOKIE = "primary_reads"
DATABASE_ROUTERS = [
    "aidportal.database.routers.MigratingConnectionRouter",
    "aidportal.database.replica.ReplicaRouter",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first: the portal's staff and most of its public read Chinese.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("zh-hans", "en")
LOCALE_PATHS = [BASE_DIR / "locale"]
# A filter left empty reads "All" (全部), not django-filter's "---------".
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# collectstatic gathers files here for production; elsewhere they are served from the apps.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles")) if PRODUCTION else None
WHITENOISE_USE_FINDERS = not PRODUCTION
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploaded photos are served by Django only where no web server sits in front (the demo).
SERVE_MEDIA = env_bool("SERVE_MEDIA", default=DEBUG)
# The open-data files built in the background (opendata.exports): a folder every web process and
# worker reads and writes. With several hosts, make it a shared one (EXPORTS_ROOT on a shared
# volume), or give "exports" another backend (an S3-compatible storage).
EXPORTS_ROOT = Path(os.environ.get("EXPORTS_ROOT", MEDIA_ROOT / "exports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": EXPORTS_ROOT},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOGIN_URL = "admin:login"

# The programme the home page shows when an installation hosts several pairings.
DEFAULT_PROGRAMME = os.environ.get("DEFAULT_PROGRAMME", "")
# The public pages' footer: who publishes the site (else the programme's donor organisation), an
# address readers may write to, and the ICP filing number (备案号) a site hosted in mainland China
# must show; each is left out while unset.
SITE_PUBLISHER = os.environ.get("SITE_PUBLISHER", "")
SITE_CONTACT_EMAIL = os.environ.get("SITE_CONTACT_EMAIL", "")
ICP_FILING_NUMBER = os.environ.get("ICP_FILING_NUMBER", "")

REDIS_URL = os.environ.get("REDIS_URL", "")
if PRODUCTION and not REDIS_URL:
    # A local-memory cache is one per worker process: each would count its own share of a limit.
    raise ImproperlyConfigured(
        "REDIS_URL must be set when PRODUCTION=1: the API's rate limits are counted in Redis, "
        "shared by every worker (e.g. REDIS_URL=redis://127.0.0.1:6379/0)."
    )
CACHES = {
    # Throttle counters must be shared by every worker in production: use Redis there.
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# How long a rendered public page is served to anonymous readers as it is, before the server asks
# again whether its data changed (projects/caching.py). Signed-in readers always get the current
# data; browsers and proxies may keep a page PAGE_MAX_AGE (60 s) anyway.
PAGE_FRESH_SECONDS = env_count("PAGE_FRESH_SECONDS", "a number of seconds", 30)

# Background tasks (webhook deliveries) go through this broker to `celery -A aidportal worker`.
# Without one (the embedded demo on SQLite) they run eagerly, in the process that sends them.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# A task is acknowledged once done, and sent again if its worker dies while running it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Periodic tasks, sent by `celery -A aidportal beat` (Asia/Shanghai time) to the worker: the
# ledger check nightly (a failure is kept on the finance staff's desk and e-mailed to them) and
# the purge of old Idempotency-Key answers daily.
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE = {
    "check-ledger-nightly": {
        "task": "funding.tasks.check_ledger",
        "schedule": crontab(hour=2, minute=30),
    },
    "purge-idempotency-keys-daily": {
        "task": "api.tasks.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=45),
    },
}
# Where beat remembers when each task last ran.
CELERY_BEAT_SCHEDULE_FILENAME = os.environ.get(
    "CELERY_BEAT_SCHEDULE_FILENAME", str(BASE_DIR / ".celerybeat-schedule")
)

# Mail (the failed ledger check's alert): through EMAIL_HOST when it is set, else printed to the
# sending process's output (the worker's log).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "aidportal@localhost")

# A spreadsheet uploaded to an admin import page that is larger than this many bytes is imported
# by the worker in the background (progress under Core › Import jobs); smaller ones while the
# uploader waits. 256 KiB is about 5,000 ledger rows in CSV.
IMPORT_BACKGROUND_BYTES = env_count("IMPORT_BACKGROUND_BYTES", "a size in bytes", 256 * 1024)
# Webhooks: an endpoint is disabled after this many failed deliveries in a row; retries wait
# about base × 2^(failures − 1) seconds, at most the maximum, with jitter.
WEBHOOK_MAX_FAILURES = env_count("WEBHOOK_MAX_FAILURES", "a number of failures", 10) or 1
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "30"))
WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "21600"))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# The portal's public address, which webhook payloads give records' addresses under.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# How many proxies of our own sit in front of the portal and append to X-Forwarded-For. 0: the
# caller's address is the connection's and the header is ignored (core/addresses.py).
NUM_PROXIES = env_count("NUM_PROXIES", "the number of trusted proxies in front of the portal")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.PortalPermission"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["api.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "api.throttling.AnonymousThrottle",
        "api.throttling.CallerThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anonymous": os.environ.get("API_RATE_ANONYMOUS", "120/minute"),
        "caller": os.environ.get("API_RATE_CALLER", "1200/minute"),
    },
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
    "PAGE_SIZE": 20,
}
# Arrivals and disbursements above this many CNY count only once a second staff member
# approves them.
FUNDING_APPROVAL_THRESHOLD = os.environ.get("FUNDING_APPROVAL_THRESHOLD", "5000000")
# An incoming commitment may be dated up to this many days ahead; every other reported date
# (money, progress, deliveries) is at most today.
FUNDING_COMMITMENT_HORIZON_DAYS = int(os.environ.get("FUNDING_COMMITMENT_HORIZON_DAYS", "1826"))
# The earliest reported date for a programme whose start is not recorded: paired aid to Tibet
# (对口援藏) began in 1994.
AID_RECORDS_EARLIEST_DATE = os.environ.get("AID_RECORDS_EARLIEST_DATE", "1994-01-01")
# The IATI export (opendata/IATI.md): the identifier the reporting organisation (the default
# programme's donor) is registered with, e.g. CN-USCI-<its 18-character credit code>; every
# activity identifier starts with it. The demo's placeholder is never used in production, where
# the export is off (404) until it is set.
IATI_REPORTING_ORG_REF = os.environ.get(
    "IATI_REPORTING_ORG_REF", "" if PRODUCTION else "XI-IATI-AIDPORTAL-DEMO"
)
# DAC 5-digit sector codes replacing the export's defaults: "category=code" or
# "field/category=code", comma-separated (e.g. "infrastructure=21020,development/other=16020").
IATI_SECTORS = dict(
    (key.strip(), code.strip())
    for key, _, code in (item.partition("=") for item in env_list("IATI_SECTORS"))
)
# Education figures over fewer students than this are suppressed on pages and in the API.
EDUCATION_MIN_GROUP_SIZE = int(os.environ.get("EDUCATION_MIN_GROUP_SIZE", "5"))
# The licence of the bulk downloads (/data/): an SPDX identifier, and the licence's address
# when the portal does not know it (it knows CC-BY-4.0, CC0-1.0 and ODC-BY-1.0).
OPEN_DATA_LICENCE = os.environ.get("OPEN_DATA_LICENCE", "CC-BY-4.0")
OPEN_DATA_LICENCE_URL = os.environ.get("OPEN_DATA_LICENCE_URL", "")
# How long a replayable Idempotency-Key answer is kept (at least a day).
IDEMPOTENCY_KEY_TTL_HOURS = int(os.environ.get("IDEMPOTENCY_KEY_TTL_HOURS", "48"))


SPECTACULAR_SETTINGS = {
    # Lazy: the docs page asks for the schema in the reader's language (`?lang=`).
    "TITLE": gettext_lazy("AidPortal API"),
    "DESCRIPTION": gettext_lazy(
        "Records of paired-aid programmes: projects, organisations, places, the "
        "timeline and progress updates. Money is a decimal string in CNY; texts come in both "
        "languages; choice labels follow Accept-Language (zh-hans or en).\n\n"
        "**Who may call.** Anyone reads published records. A partner organisation's key "
        "(`Authorization: Bearer ap_…`) also reads its own organisation's records, and writes only "
        "what it was granted: capabilities such as `updates:write`, `medical:claim`, "
        "`education:results` or `funding:entries`, each operation's description naming the one "
        "it needs (a 403 `missing-capability` otherwise); another organisation's unpublished "
        "record is a 404. Staff use their admin session.\n\n"
        "**Errors** are `application/problem+json` (RFC 9457); `GET /api/v1/problems/{type}` "
        "explains each `type`. Nothing is written when a request fails.\n\n"
        "**Retries.** Send `Idempotency-Key` on POST; a retry returns the first answer. Changes "
        "need `If-Match` with the ETag you read."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_components",
    ],
    # No badge from an outside validator: the CSP would block it and users may be offline.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None},
}

IMAGEKIT_DEFAULT_CACHEFILE_STRATEGY = "imagekit.cachefiles.strategies.Optimistic"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "access": {"class": "logging.StreamHandler", "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        # One JSON line per request (aidportal/access_log.py); ACCESS_LOG=0 silences it.
        "aidportal.access": {
            "handlers": ["access"],
            "level": "INFO" if env_bool("ACCESS_LOG", default=True) else "WARNING",
            "propagate": False,
        }
    },
}

# Observability. /metrics answers only a bearer of METRICS_TOKEN (unset: no endpoint). Every
# database alias goes through django-prometheus's backend, which counts queries and errors.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
PROMETHEUS_EXPORT_MIGRATIONS = False
for _database in DATABASES.values():
    _database["ENGINE"] = _database["ENGINE"].replace(
        "django.db.backends.", "django_prometheus.db.backends."
    )
# Errors (and, at SENTRY_TRACES_SAMPLE_RATE, timings) go to Sentry when SENTRY_DSN is set; no
# cookies, user addresses or request bodies are sent (send_default_pii off).
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT")
        or ("production" if PRODUCTION else "development"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
        integrations=[DjangoIntegration()],
    )

# Security headers, CSP and login protection (every mode).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers check health over plain HTTP, behind the TLS proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# Browser features no page uses, denied to every page and to anything it embeds.
PERMISSIONS_POLICY = ["camera", "microphone", "geolocation", "payment", "usb"]
# Nothing inline and nothing from elsewhere: charts are SVG attributes, the API docs load a file.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# modeltranslation's admin tabs need jQuery UI; the policy allows it only from our own files.
JQUERY_UI_URL = "vendor/jquery-ui/jquery-ui.min.js"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username and address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "axes/lockout.html"
# The address the lock counts is the one the API's limits count (NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "core.addresses.client_address"

# The second factor (the second_factor app): authenticator apps show this name by the account.
OTP_TOTP_ISSUER = "AidPortal"

# A staff session lasts a working day, not Django's two weeks: a forgotten sign-in on a shared
# computer closes by the next morning.
SESSION_COOKIE_AGE = 8 * 60 * 60
# The language switch's cookie: no script reads it and no other site sends it.
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
