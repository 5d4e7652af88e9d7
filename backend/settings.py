"""One env-driven settings module.

With no environment at all it runs the embedded default (SQLite under var/, in-memory channel
layer, eager Celery, MSSanté outbox files). DATABASE_URL and REDIS_URL switch to PostgreSQL and
Redis. PLATFORM_ENV=production turns on the production guards. Every variable is listed in
deploy/README.md; a bad value raises ImproperlyConfigured at start-up rather than later.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.api.rate_config import parse_rate_limits
from backend.static_headers import static_headers
from backend.ws_origin import configured_origins

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLATFORM_VAR_DIR", BASE_DIR / "var"))
# Everything this process creates (SQLite database, outbox mails, media, generated PDFs) is
# private to its user and group: files 0640 at most, folders 0750 (no access for "others").
os.umask(0o027)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105


def env(name: str, default: str | None = None) -> str | None:
    """Read NAME, or the content of the file named by NAME_FILE (Docker/K8s secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be >= {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


PLATFORM_ENV = (env("PLATFORM_ENV", "development") or "development").lower()
if PLATFORM_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("PLATFORM_ENV must be development, test or production")
PRODUCTION = PLATFORM_ENV == "production"

SECRET_KEY = env("DJANGO_SECRET_KEY") or DEV_SECRET_KEY
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "Production refuses the development secret key: set DJANGO_SECRET_KEY "
        "(or DJANGO_SECRET_KEY_FILE) to at least 50 random characters."
    )

DEBUG = env_bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on in production.")

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must list the public host names.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The origin(s) browsers load the platform from (scheme, host and port): WebSocket handshakes
# from any other origin are refused (backend/ws_origin.py). Production defaults to the CSRF
# trusted origins, else https:// on each allowed host; unset elsewhere means "same origin as
# the Host the socket connects to".
PUBLIC_ORIGINS = env_list(
    "PUBLIC_ORIGIN",
    CSRF_TRUSTED_ORIGINS
    or (
        [f"https://{h}" for h in ALLOWED_HOSTS if h not in ("localhost", "*")] if PRODUCTION else []
    ),
)
configured_origins(PUBLIC_ORIGINS)  # fails loudly on a malformed origin
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", default=False)

INSTALLED_APPS = [
    "daphne",
    "backend.accounts.admin_apps.AdminConfig",  # OTP admin site (accounts/admin_site.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",  # trigram / full-text lookups; harmless on SQLite
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files, never a CDN
    "channels",
    "backend.audit",
    "backend.accounts",
    "backend.patients",
    "backend.directory",
    "backend.mssante",
    "conversations",
    "teleexpertise",
]

MIDDLEWARE = [
    # First: an oversized body is refused before anything reads it or looks at the session.
    "backend.body_limit.BodyLimitMiddleware",
    "backend.observability.RequestIdMiddleware",
    "backend.metrics.MetricsMiddleware",
    "backend.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "backend.security.ContentSecurityPolicyMiddleware",
    # Before WhiteNoise, which answers static files itself: they get X-Frame-Options too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "backend.accounts.sessions.SessionRevocationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "backend.urls"
CSRF_FAILURE_VIEW = "backend.api.errors_views.csrf_failure"
WSGI_APPLICATION = None
ASGI_APPLICATION = "backend.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# --- Database: SQLite under var/ unless DATABASE_URL says otherwise -------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    # Channels consumers hold connections in worker threads: health checks close stale ones.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            # Several threads (daphne + sync_to_async) write: wait instead of "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery broker ----------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # After a Redis restart pooled connections are dead: a health check before
                # reuse and one retry on connection errors deliver the next event live.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "health_check_interval": 2,
                        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
                    }
                ],
                "prefix": env("CHANNEL_LAYER_PREFIX", "liaison") or "liaison",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "liaison") or "liaison",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Heavy work (PDF rendering, MSSanté, imports) never runs in a web request, in any mode: with
# Redis, workers consume from it; in the embedded default the broker is kombu's filesystem
# transport under var/ (no server) and `make run` starts a worker beside daphne.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540, minimum=1)
# Periodic work (celery beat): catch sends whose task was lost, flag late teleexpertise answers.
CELERY_BEAT_SCHEDULE = {
    "psc-refresh-sessions": {
        "task": "backend.accounts.tasks.refresh_psc_sessions",
        "schedule": 60.0,
    },
    "mssante-send-pending": {"task": "backend.mssante.tasks.send_pending", "schedule": 60.0},
    # The polling fallback of the inbox (the IDLE worker, when running, is faster).
    "mssante-fetch-all": {"task": "backend.mssante.inbox.tasks.fetch_all", "schedule": 60.0},
    "mssante-inbox-pending": {
        "task": "backend.mssante.inbox.tasks.process_pending",
        "schedule": 300.0,
    },
    "conversations-expire-unsent-uploads": {
        "task": "conversations.tasks.expire_unsent_uploads",
        "schedule": 3600.0,
    },
    "teleexpertise-flag-overdue": {
        "task": "teleexpertise.tasks.flag_overdue_requests",
        "schedule": 3600.0,
    },
}

# --- Authentication --------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12 if PRODUCTION else 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# The second factor is required for every human account in production (issue #2).
OTP_REQUIRED = env_bool("OTP_REQUIRED", default=PRODUCTION)
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", "Liaison Santé")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # TOTP secrets never shown in the admin
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
# Lock-out (per account and IP, then per account, then per IP): progressive delays, never a hard
# block of the right password (backend/accounts/lockout.py).
LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 900, minimum=1)
LOGIN_ACCOUNT_MAX_DELAY_SECONDS = env_int("LOGIN_ACCOUNT_MAX_DELAY_SECONDS", 30, minimum=1)
# A hospital behind one NAT: many people, one address.
LOGIN_IP_FREE_FAILURES = env_int("LOGIN_IP_FREE_FAILURES", 50, minimum=1)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)

# --- Pro Santé Connect (OpenID Connect); everything else comes from the discovery document ---
PSC_DISCOVERY_URL = env("PSC_DISCOVERY_URL", "") or ""
PSC_CLIENT_ID = env("PSC_CLIENT_ID", "") or ""
PSC_CLIENT_SECRET = env("PSC_CLIENT_SECRET", "") or ""
PSC_SCOPE = env("PSC_SCOPE", "openid scope_all") or "openid scope_all"
PSC_ACR = env("PSC_ACR", "eidas1") or "eidas1"
PSC_CLOCK_SKEW_SECONDS = env_int("PSC_CLOCK_SKEW_SECONDS", 60)
if PSC_CLOCK_SKEW_SECONDS > 300:
    raise ImproperlyConfigured("PSC_CLOCK_SKEW_SECONDS must be at most 300")
PSC_ID_TOKEN_MAX_AGE = env_int("PSC_ID_TOKEN_MAX_AGE", 600, minimum=1)
PSC_HTTP_TIMEOUT = env_int("PSC_HTTP_TIMEOUT", 10, minimum=1)
if PSC_DISCOVERY_URL and not PSC_CLIENT_SECRET:
    raise ImproperlyConfigured("PSC_DISCOVERY_URL needs PSC_CLIENT_ID and PSC_CLIENT_SECRET")
if PRODUCTION and PSC_DISCOVERY_URL and not PSC_DISCOVERY_URL.startswith("https://"):
    raise ImproperlyConfigured("PSC_DISCOVERY_URL must be an https:// URL in production")
# Production rule: clinicians (accounts with an RPPS) sign in with PSC; password + TOTP stay
# for accounts without an RPPS and for break-glass administrators (superusers).
PSC_REQUIRED_FOR_RPPS = env_bool("PSC_REQUIRED_FOR_RPPS", default=PRODUCTION)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Security headers ------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# --- Internationalisation: French first, English available -----------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up without it
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
        # Public files that nginx, another user, serves from compose's `static` volume: not
        # the app's private 0640 of FILE_UPLOAD_PERMISSIONS (make deploy-test fetches them).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_ADD_HEADERS_FUNCTION = static_headers
# Outside production the freshly built client is served from frontend/dist without collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")) or VAR_DIR / "media")
FILE_UPLOAD_PERMISSIONS = 0o640  # attachments and exports hold health data
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
MEDIA_URL = "/media-not-served/"  # files are only served through access-checked views
# Non-file bodies (JSON) up to this size; larger ones get 413 before being read
# (backend/body_limit.py, and the same figure in deploy/nginx).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1024)
# Uploaded files are streamed to a temporary file as they arrive, never held whole in memory.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Uploads not yet carried by a message: at most this many files and bytes per user, deleted
# after UPLOAD_UNSENT_TTL_HOURS by a periodic task (conversations/uploads.py).
# Syntheses: at most this many messages in one PDF, rendered within this time by the worker.
SYNTHESIS_MAX_MESSAGES = env_int("SYNTHESIS_MAX_MESSAGES", 5000, minimum=1)
SYNTHESIS_TIME_LIMIT_SECONDS = env_int("SYNTHESIS_TIME_LIMIT_SECONDS", 240, minimum=10)
UPLOAD_UNSENT_MAX_FILES = env_int("UPLOAD_UNSENT_MAX_FILES", 20, minimum=1)
UPLOAD_UNSENT_MAX_BYTES = env_int("UPLOAD_UNSENT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
UPLOAD_UNSENT_TTL_HOURS = env_int("UPLOAD_UNSENT_TTL_HOURS", 24, minimum=1)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)

# --- Django REST framework and the OpenAPI schema --------------------------------------------
# REST rate limits (backend/api/throttling.py): "<scope>" per user, "<scope>.ip" per address.
RATE_LIMITS = parse_rate_limits(
    env("RATE_LIMITS"),
    {
        "messages": "120/min",
        "messages.ip": "600/min",
        "uploads": "30/min",
        "uploads.ip": "120/min",
        "search": "60/min",
        "search.ip": "300/min",
        "exports": "10/min",
        "exports.ip": "30/min",
        "signin.ip": "30/min",
    },
)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "backend.accounts.authentication.ApiTokenAuthentication",
        "backend.accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["backend.accounts.permissions.IsVerifiedUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "backend.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "backend.api.throttling.PerUserThrottle",
        "backend.api.throttling.PerAddressThrottle",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison Santé API",
    "DESCRIPTION": "Messagerie sécurisée et téléexpertise pour les professionnels de santé.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {"ActStatusEnum": "teleexpertise.models.Act.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.api.typed_schema.add_typed_components",
    ],
}

# --- MSSanté ---------------------------------------------------------------------------------
MSSANTE_TRANSPORT = env("MSSANTE_TRANSPORT", "smtp" if PRODUCTION else "outbox")
if MSSANTE_TRANSPORT not in {"outbox", "smtp"}:
    raise ImproperlyConfigured("MSSANTE_TRANSPORT must be 'outbox' or 'smtp'")
MSSANTE_OUTBOX_DIR = VAR_DIR / "outbox"
MSSANTE_SMTP_HOST = env("MSSANTE_SMTP_HOST", "127.0.0.1")
MSSANTE_SMTP_PORT = env_int("MSSANTE_SMTP_PORT", 587, minimum=1)
MSSANTE_SMTP_CA_FILE = env("MSSANTE_SMTP_CA_FILE")
MSSANTE_SMTP_CLIENT_CERT = env("MSSANTE_SMTP_CLIENT_CERT")
MSSANTE_SMTP_CLIENT_KEY = env("MSSANTE_SMTP_CLIENT_KEY")
# X-MSS-NIL: the product's reference on the ANS Convergence platform. The default is a
# placeholder: production refuses to send with it (backend/mssante/trust.py).
MSSANTE_SOFTWARE_REF_PLACEHOLDER = "LiaisonSante/0.1"
MSSANTE_SOFTWARE_REF = env("MSSANTE_SOFTWARE_REF", MSSANTE_SOFTWARE_REF_PLACEHOLDER)
# The platform's fixed OID as the XDM sourceId. The default (under the UUID arc 2.25) is for
# development and tests; production refuses to send health documents with it.
XDM_SOURCE_OID_PLACEHOLDER = "2.25.160631418095542372735546063434463553046"
XDM_SOURCE_OID = env("XDM_SOURCE_OID", XDM_SOURCE_OID_PLACEHOLDER)
# The DMP visibility offered by default for a minor's document (teleexpertise/filing.py).
DMP_MINOR_DEFAULT_VISIBILITY = env("DMP_MINOR_DEFAULT_VISIBILITY", "invisible_representatives")
if DMP_MINOR_DEFAULT_VISIBILITY not in {
    "normal",
    "invisible_patient",
    "masked_professionals",
    "invisible_representatives",
}:
    raise ImproperlyConfigured("DMP_MINOR_DEFAULT_VISIBILITY: unknown visibility")
MSSANTE_SMTP_TIMEOUT = env_int("MSSANTE_SMTP_TIMEOUT", 30, minimum=1)
MSSANTE_SMTP_HELO_NAME = env("MSSANTE_SMTP_HELO_NAME", "localhost")
# Patient mail is limited to 25 MB in total (MSSanté rule).
MSSANTE_MAX_MESSAGE_BYTES = env_int("MSSANTE_MAX_MESSAGE_BYTES", 25 * 1024 * 1024, minimum=1024)
MSSANTE_SENDING_LEASE_SECONDS = env_int("MSSANTE_SENDING_LEASE_SECONDS", 900, minimum=60)
MSSANTE_RETRY_DELAYS = tuple(
    int(v) for v in env_list("MSSANTE_RETRY_DELAYS", ["30", "120", "600", "1800", "3600", "7200"])
)
# Receiving (backend/mssante/inbox): IMAP of the operator, or Maildir folders under var/.
MSSANTE_CA_FILE = env("MSSANTE_CA_FILE", MSSANTE_SMTP_CA_FILE)  # the IGC-Santé chain
MSSANTE_CRL_FILE = env("MSSANTE_CRL_FILE")
# Both are required in production at connection time (backend/mssante/tls.py): a mailbox
# without them shows an error state, the rest of the platform runs.
MSSANTE_IMAP_HOST = env("MSSANTE_IMAP_HOST", "127.0.0.1")
MSSANTE_IMAP_PORT = env_int("MSSANTE_IMAP_PORT", 143, minimum=1)
MSSANTE_IMAP_TIMEOUT = env_int("MSSANTE_IMAP_TIMEOUT", 30, minimum=1)
MSSANTE_IDLE_SECONDS = env_int("MSSANTE_IDLE_SECONDS", 300, minimum=10)
MSSANTE_MAILDIR_DIR = VAR_DIR / "maildir"
MSSANTE_INBOX_MAX_BYTES = env_int("MSSANTE_INBOX_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# The test operators' password login (PER/ORG before XOAUTH2); refused in production.
MSSANTE_TEST_PASSWORD = env("MSSANTE_TEST_PASSWORD", "mot-de-passe-de-test")

# --- Calls -----------------------------------------------------------------------------------
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env("TURN_SECRET")
TURN_CREDENTIAL_TTL = env_int("TURN_CREDENTIAL_TTL", 3600, minimum=60)
# An unanswered call ends as missed after this many seconds.
CALL_RING_SECONDS = env_int("CALL_RING_SECONDS", 45, minimum=5)
# The "test my camera and network" peer: its lifetime and how many one process runs at once.
CALL_ECHO_SECONDS = env_int("CALL_ECHO_SECONDS", 60, minimum=5)
CALL_ECHO_MAX_PEERS = env_int("CALL_ECHO_MAX_PEERS", 8, minimum=1)
if TURN_URLS and not TURN_SECRET:
    raise ImproperlyConfigured("TURN_URLS needs TURN_SECRET (the coturn static-auth-secret).")

# --- INSi: the class that asks the national INS service (a local stand-in unless configured) ---
INSI_SERVICE = env("INSI_SERVICE", "backend.patients.insi.LocalInsiStandIn")

# --- Teleexpertise (Assurance Maladie rules) ---------------------------
TELEEXPERTISE_ACTS_PER_YEAR = env_int("TELEEXPERTISE_ACTS_PER_YEAR", 4, minimum=1)
TELEEXPERTISE_ANSWER_DAYS = env_int("TELEEXPERTISE_ANSWER_DAYS", 7, minimum=1)
# A consent older than this is stale: the patient is asked again before a new request.
TELEEXPERTISE_CONSENT_MAX_AGE_DAYS = env_int("TELEEXPERTISE_CONSENT_MAX_AGE_DAYS", 90, minimum=1)

# --- Messaging limits ------------------------------------------------------------------------
MESSAGE_MAX_CHARS = env_int("MESSAGE_MAX_CHARS", 20000, minimum=100)
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 64 * 1024, minimum=1024)
WS_RATE_PER_SECOND = env_int("WS_RATE_PER_SECOND", 20, minimum=1)
WS_RATE_BURST = env_int("WS_RATE_BURST", 60, minimum=1)

# --- Metrics: /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when it is set ---
METRICS_TOKEN = env("METRICS_TOKEN")

# --- Logging: JSON lines with the request id, never bodies -----------------------------------
LOG_LEVEL = (env("LOG_LEVEL", "INFO") or "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "backend.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "backend.observability.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
