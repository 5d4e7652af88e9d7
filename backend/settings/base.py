"""The platform itself: where it lives, which environment, hosts, apps, middleware, i18n."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import env, env_bool, env_list
from backend.ws_origin import configured_origins

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PLATFORM_VAR_DIR", BASE_DIR / "var"))
# Everything this process creates (SQLite database, outbox mails, media, generated PDFs) is
# private to its user and group: files 0640 at most, folders 0750 (no access for "others").
os.umask(0o027)

DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105

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
    "backend.accounts.session_middleware.SessionRevocationMiddleware",
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

# --- Internationalisation: French first, English available -----------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
