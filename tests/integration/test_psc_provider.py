"""The local Pro Santé Connect provider behaves like PSC: what the platform and the mail server
rely on (discovery, PKCE code flow, acr eidas1, signed userinfo JWT with the PSC claims, refresh,
introspection, end of session). A real OpenID provider on loopback, no mock."""

from __future__ import annotations

import secrets
import urllib.parse
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet

from backend import demo
from backend.accounts.identifiers import make_rpps
from tests.support.psc import CALLBACK_PATH, UNKNOWN_RPPS, PscProvider

MARTIN_RPPS = make_rpps(demo.PEOPLE[0].rpps_body or "")


@pytest.fixture(scope="module")
def discovery(psc_provider: PscProvider) -> dict[str, Any]:
    answer = requests.get(psc_provider.discovery_url, timeout=10)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def _sign_in(provider: PscProvider, discovery: dict[str, Any], rpps: str) -> dict[str, Any]:
    session = OAuth2Session(
        provider.client_id,
        provider.client_secret,
        scope="openid scope_all",
        redirect_uri=f"http://127.0.0.1{CALLBACK_PATH}",
        code_challenge_method="S256",
    )
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = session.create_authorization_url(
        discovery["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        acr_values="eidas1",
    )
    back = provider.sign_in(url, rpps)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(back).query)
    assert query["state"] == [state]
    token = session.fetch_token(
        discovery["token_endpoint"], authorization_response=back, code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(exp={"essential": True}).validate(claims)
    return {"token": dict(token), "id": claims, "nonce": nonce, "keys": keys}


def test_discovery_announces_what_psc_announces(discovery: dict[str, Any]) -> None:
    assert discovery["acr_values_supported"] == ["eidas1"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert {"openid", "scope_all"} <= set(discovery["scopes_supported"])
    assert discovery["response_types_supported"] == ["code"]
    assert "RS256" in discovery["userinfo_signing_alg_values_supported"]
    for endpoint in ("introspection_endpoint", "end_session_endpoint", "jwks_uri"):
        assert discovery[endpoint].startswith("http://127.0.0.1:")


def test_code_flow_with_pkce_gives_eidas1_and_a_signed_psc_userinfo(
    psc_provider: PscProvider, discovery: dict[str, Any]
) -> None:
    result = _sign_in(psc_provider, discovery, MARTIN_RPPS)
    assert result["id"]["acr"] == "eidas1"
    assert result["id"]["nonce"] == result["nonce"]
    assert result["id"]["iss"] == psc_provider.issuer
    answer = requests.get(
        discovery["userinfo_endpoint"],
        headers={"authorization": f"Bearer {result['token']['access_token']}"},
        timeout=10,
    )
    assert answer.headers["content-type"].startswith("application/jwt")
    info = jwt.decode(answer.text, result["keys"], algorithms=["RS256"]).claims
    assert info["SubjectNameID"] == "8" + MARTIN_RPPS
    assert (info["given_name"], info["family_name"]) == ("Claire", "Martin")
    exercice = info["SubjectRefPro"]["exercices"][0]
    assert exercice["codeProfession"] == "10"
    assert exercice["activities"][0]["numeroFinessSite"] == demo.ORGANIZATIONS["cabinet"][1]
    # The opaque sub is not the RPPS: the platform must link by SubjectNameID.
    assert MARTIN_RPPS not in info["sub"]


def test_authorization_without_pkce_is_refused(
    psc_provider: PscProvider, discovery: dict[str, Any]
) -> None:
    query = urllib.parse.urlencode(
        {
            "client_id": psc_provider.client_id,
            "response_type": "code",
            "scope": "openid scope_all",
            "redirect_uri": f"http://127.0.0.1{CALLBACK_PATH}",
            "state": "s",
        }
    )
    answer = requests.get(
        f"{discovery['authorization_endpoint']}?{query}", allow_redirects=False, timeout=10
    )
    assert answer.is_redirect
    assert "error=invalid_request" in answer.headers["location"]


def test_refresh_token_gives_a_new_access_token(
    psc_provider: PscProvider, discovery: dict[str, Any]
) -> None:
    result = _sign_in(psc_provider, discovery, MARTIN_RPPS)
    answer = requests.post(
        discovery["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": result["token"]["refresh_token"]},
        auth=(psc_provider.client_id, psc_provider.client_secret),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["access_token"] != result["token"]["access_token"]


def test_mail_server_introspects_a_minted_token_until_the_session_ends(
    psc_provider: PscProvider,
) -> None:
    token = psc_provider.access_token(MARTIN_RPPS)
    seen = psc_provider.introspect(token)
    assert seen["active"] is True
    assert seen["SubjectNameID"] == "8" + MARTIN_RPPS
    assert seen["email"] == "claire.martin@demo.mssante.fr"
    assert seen["scope"] == "openid scope_all"
    assert psc_provider.end_session(MARTIN_RPPS) >= 1
    assert psc_provider.introspect(token) == {"active": False}


def test_introspection_needs_the_mail_server_credentials(psc_provider: PscProvider) -> None:
    token = psc_provider.access_token(MARTIN_RPPS)
    answer = requests.post(
        psc_provider.introspection_url,
        data={"token": token},
        auth=(psc_provider.introspection_client_id, "wrong"),
        timeout=10,
    )
    assert answer.status_code == 401


def test_unknown_identities_get_no_token(psc_provider: PscProvider) -> None:
    with pytest.raises(RuntimeError, match="404"):
        psc_provider.access_token("10001000000")
    assert psc_provider.access_token(UNKNOWN_RPPS)  # known to PSC, unknown to the platform


def test_test_endpoints_answer_only_when_enabled() -> None:
    provider = PscProvider(test_endpoints=False).start()
    try:
        answer = requests.post(
            f"{provider.issuer}/test/token", json={"rpps": MARTIN_RPPS}, timeout=10
        )
        assert answer.status_code == 404
    finally:
        provider.stop()
