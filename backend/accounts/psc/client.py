"""The Pro Santé Connect relying party: Authlib for the OAuth 2 exchanges (PKCE S256, code,
refresh), joserfc (Authlib's JOSE library) for the ID token and the signed userinfo.

Everything about the provider comes from its discovery document (settings.PSC_DISCOVERY_URL);
only the claim names (PSC specification) are written here.
"""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session
from django.conf import settings
from joserfc import errors as jose_errors
from joserfc import jwt
from joserfc.jwk import KeySet

from backend.accounts.psc.errors import PscError

_METADATA_TTL = 3600.0
_lock = threading.Lock()
_cache: dict[str, tuple[float, Any]] = {}


def configured() -> bool:
    return bool(settings.PSC_DISCOVERY_URL and settings.PSC_CLIENT_ID)


def _get_json(url: str) -> Any:
    try:
        answer = requests.get(url, timeout=settings.PSC_HTTP_TIMEOUT)
        answer.raise_for_status()
        return answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise PscError("psc_unavailable") from exc


def _cached(name: str, load: Any, force: bool = False) -> Any:
    with _lock:
        entry = _cache.get(name)
        if entry and not force and time.monotonic() - entry[0] < _METADATA_TTL:
            return entry[1]
    value = load()
    with _lock:
        _cache[name] = (time.monotonic(), value)
    return value


def metadata() -> dict[str, Any]:
    if not configured():
        raise PscError("psc_not_configured")
    result: dict[str, Any] = _cached(
        "metadata:" + settings.PSC_DISCOVERY_URL,
        lambda: _get_json(settings.PSC_DISCOVERY_URL),
    )
    return result


def _keys(force: bool = False) -> KeySet:
    uri = metadata()["jwks_uri"]
    return _cached("jwks:" + uri, lambda: KeySet.import_key_set(_get_json(uri)), force)


def forget_provider() -> None:
    """Drop the cached discovery document and keys (tests start providers on new ports)."""
    with _lock:
        _cache.clear()


def _session(redirect_uri: str | None = None) -> OAuth2Session:
    return OAuth2Session(
        settings.PSC_CLIENT_ID,
        settings.PSC_CLIENT_SECRET,
        scope=settings.PSC_SCOPE,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name
    )


def authorization_request(redirect_uri: str) -> tuple[str, dict[str, Any]]:
    """The URL to send the browser to, and the flow to keep in the session until the callback
    (state, nonce, PKCE verifier)."""
    flow = {
        "state": secrets.token_urlsafe(32),
        "nonce": secrets.token_urlsafe(32),
        "verifier": secrets.token_urlsafe(64),
        "at": time.time(),
    }
    url, _ = _session(redirect_uri).create_authorization_url(
        metadata()["authorization_endpoint"],
        state=flow["state"],
        nonce=flow["nonce"],
        code_verifier=flow["verifier"],
        acr_values=settings.PSC_ACR,
    )
    return url, flow


def exchange_code(redirect_uri: str, callback_url: str, flow: dict[str, Any]) -> dict[str, Any]:
    try:
        token = _session(redirect_uri).fetch_token(
            metadata()["token_endpoint"],
            authorization_response=callback_url,
            state=flow["state"],
            code_verifier=flow["verifier"],
            timeout=settings.PSC_HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise PscError("psc_unavailable") from exc
    except Exception as exc:  # Authlib's OAuth2Error and friends: the provider said no
        raise PscError("psc_refused") from exc
    if "id_token" not in token or "access_token" not in token:
        raise PscError("psc_refused")
    return dict(token)


def refresh(refresh_token: str) -> dict[str, Any]:
    """New tokens, or PscError("psc_session_ended") when the provider refuses."""
    try:
        token = _session().refresh_token(
            metadata()["token_endpoint"],
            refresh_token=refresh_token,
            timeout=settings.PSC_HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise PscError("psc_unavailable") from exc
    except Exception as exc:
        raise PscError("psc_session_ended") from exc
    return dict(token)


def _decode(value: str) -> dict[str, Any]:
    algorithms = metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in algorithms if a != "none"]
    try:
        try:
            token = jwt.decode(value, _keys(), algorithms=algorithms)
        except (jose_errors.BadSignatureError, ValueError):
            # The provider may have rotated its keys: fetch them once more, then give up.
            token = jwt.decode(value, _keys(force=True), algorithms=algorithms)
    except jose_errors.BadSignatureError as exc:
        raise PscError("psc_signature") from exc
    except (jose_errors.JoseError, ValueError) as exc:
        raise PscError("psc_signature") from exc
    claims: dict[str, Any] = token.claims
    return claims


def _validate(claims: dict[str, Any], rules: dict[str, Any]) -> None:
    registry = jwt.JWTClaimsRegistry(leeway=settings.PSC_CLOCK_SKEW_SECONDS, **rules)
    try:
        registry.validate(claims)
    except jose_errors.ExpiredTokenError as exc:
        raise PscError("psc_expired") from exc
    except jose_errors.InvalidClaimError as exc:
        code = {"acr": "psc_acr", "nonce": "psc_nonce"}.get(exc.claim, "psc_invalid")
        raise PscError(code) from exc
    except jose_errors.MissingClaimError as exc:
        code = {"acr": "psc_acr", "nonce": "psc_nonce"}.get(exc.claim, "psc_invalid")
        raise PscError(code) from exc
    except jose_errors.JoseError as exc:
        raise PscError("psc_invalid") from exc


def verify_id_token(id_token: str, nonce: str) -> dict[str, Any]:
    """Signature (provider's JWKS), issuer, audience, expiry and issue time within the allowed
    clock skew, our nonce, and the eIDAS level PSC must assert."""
    claims = _decode(id_token)
    _validate(
        claims,
        {
            "iss": {"essential": True, "value": metadata()["issuer"]},
            "aud": {"essential": True, "value": settings.PSC_CLIENT_ID},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "sub": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
            "acr": {"essential": True, "value": settings.PSC_ACR},
        },
    )
    # An ID token is used at once: one issued long ago is as good as expired, whatever its exp.
    if (
        claims["iat"]
        < time.time() - settings.PSC_ID_TOKEN_MAX_AGE - settings.PSC_CLOCK_SKEW_SECONDS
    ):
        raise PscError("psc_expired")
    return claims


def userinfo(access_token: str, subject: str) -> dict[str, Any]:
    """PSC answers userinfo as a signed JWT: its signature is checked like the ID token's, and
    it must be about the same subject."""
    try:
        answer = requests.get(
            metadata()["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}", "Accept": "application/jwt"},
            timeout=settings.PSC_HTTP_TIMEOUT,
        )
    except requests.RequestException as exc:
        raise PscError("psc_unavailable") from exc
    if answer.status_code != 200:
        raise PscError("psc_refused")
    if not answer.headers.get("content-type", "").startswith("application/jwt"):
        raise PscError("psc_signature")  # an unsigned answer is not accepted
    claims = _decode(answer.text.strip())
    _validate(claims, {"sub": {"essential": True, "value": subject}})
    return claims


def end_session_url(id_token: str | None, post_logout_redirect_uri: str) -> str | None:
    """RP-initiated logout at the provider, when it offers it."""
    try:
        endpoint = metadata().get("end_session_endpoint")
    except PscError:
        return None
    if not endpoint:
        return None
    query = {
        "post_logout_redirect_uri": post_logout_redirect_uri,
        "client_id": settings.PSC_CLIENT_ID,
    }
    if id_token:
        query["id_token_hint"] = id_token
    return f"{endpoint}?{urllib.parse.urlencode(query)}"
