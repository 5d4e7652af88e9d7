"""Sign-in (password + TOTP, Pro Santé Connect), sessions, cookies and security headers."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from backend.settings.base import PRODUCTION
from backend.settings.env import env, env_bool, env_int

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
