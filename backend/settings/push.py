"""Web Push (RFC 8030/8291/8292): « Nouveau message de … » on a locked phone."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from backend import vapid
from backend.settings.base import PRODUCTION, VAR_DIR
from backend.settings.env import env, env_bool, env_int, env_list

# WEB_PUSH_VAPID_PRIVATE_KEY (or _FILE): this server's VAPID key, base64url raw or PEM; required
# in production, generated once under var/ otherwise. WEB_PUSH_VAPID_SUBJECT: a mailto: or https:
# contact the push services may use. The server posts only to push services on the allow-list
# (the endpoint comes from the browser: anything else would let a client make the server call
# any URL).
WEB_PUSH_VAPID_SUBJECT = env(
    "WEB_PUSH_VAPID_SUBJECT", None if PRODUCTION else "mailto:exploitation@liaison-sante.invalid"
)
_vapid_key = env("WEB_PUSH_VAPID_PRIVATE_KEY")
if PRODUCTION and not (_vapid_key and WEB_PUSH_VAPID_SUBJECT):
    raise ImproperlyConfigured(
        "Set WEB_PUSH_VAPID_PRIVATE_KEY (or WEB_PUSH_VAPID_PRIVATE_KEY_FILE) and "
        "WEB_PUSH_VAPID_SUBJECT (mailto: or https: contact) in production."
    )
if not (WEB_PUSH_VAPID_SUBJECT or "").startswith(("mailto:", "https://")):
    raise ImproperlyConfigured("WEB_PUSH_VAPID_SUBJECT must be a mailto: or https:// URL")


def _load_vapid(text: str) -> vapid.ec.EllipticCurvePrivateKey:
    try:
        return vapid.load_private_key(text)
    except vapid.VapidKeyError as exc:
        raise ImproperlyConfigured(f"WEB_PUSH_VAPID_PRIVATE_KEY: {exc}") from exc


_vapid = _load_vapid(_vapid_key or vapid.development_key(VAR_DIR / "vapid.key"))
WEB_PUSH_VAPID_PRIVATE_KEY = vapid.raw_private(_vapid)
WEB_PUSH_VAPID_PUBLIC_KEY = vapid.raw_public(_vapid)
WEB_PUSH_ALLOWED_HOSTS = env_list(
    "WEB_PUSH_ALLOWED_HOSTS",
    [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "web.push.apple.com",
        "*.notify.windows.com",
    ],
)
# Plain http:// push endpoints on any port (the tests' local push service); refused in production.
WEB_PUSH_ALLOW_HTTP = env_bool("WEB_PUSH_ALLOW_HTTP", default=False)
if PRODUCTION and WEB_PUSH_ALLOW_HTTP:
    raise ImproperlyConfigured("WEB_PUSH_ALLOW_HTTP cannot be on in production.")
# How long a push service keeps a notice for a phone that is off (seconds).
WEB_PUSH_TTL = env_int("WEB_PUSH_TTL", 6 * 3600, minimum=0)
