"""Settings guards, health probes, security headers, demo data, the error shape off DRF."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from backend.accounts.identifiers import is_valid_finess, is_valid_rpps
from backend.accounts.models import Organization, Professional
from backend.observability import JsonFormatter
from backend.patients.ins import parse_ins
from backend.patients.models import Patient
from tests.conftest import assert_error

ROOT = Path(__file__).resolve().parents[2]


def settings_in_subprocess(**env: str) -> subprocess.CompletedProcess[str]:
    """Imports the settings module in a fresh interpreter with exactly this environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLATFORM_"))}
    clean.update(env)
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "backend.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_the_development_secret_key():
    result = settings_in_subprocess(PLATFORM_ENV="production", DJANGO_ALLOWED_HOSTS="x.example")
    assert result.returncode != 0
    assert "refuses the development secret key" in result.stderr


def _vapid_pem(tmp_path: Path) -> Path:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "vapid.pem"
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return pem


def test_production_starts_with_a_real_key_and_hosts(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("k" * 64)
    result = settings_in_subprocess(
        PLATFORM_ENV="production",
        DJANGO_SECRET_KEY_FILE=str(key_file),
        DJANGO_ALLOWED_HOSTS="messagerie.example",
        WEB_PUSH_VAPID_PRIVATE_KEY_FILE=str(_vapid_pem(tmp_path)),
        WEB_PUSH_VAPID_SUBJECT="mailto:exploitation@messagerie.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_production_refuses_to_start_without_a_web_push_key(tmp_path):
    common = {
        "PLATFORM_ENV": "production",
        "DJANGO_SECRET_KEY": "k" * 64,
        "DJANGO_ALLOWED_HOSTS": "messagerie.example",
    }
    missing = settings_in_subprocess(**common)
    assert missing.returncode != 0
    assert "WEB_PUSH_VAPID_PRIVATE_KEY" in missing.stderr
    bad = settings_in_subprocess(
        **common,
        WEB_PUSH_VAPID_PRIVATE_KEY="pas-une-clé",
        WEB_PUSH_VAPID_SUBJECT="mailto:exploitation@messagerie.example",
    )
    assert bad.returncode != 0
    assert "WEB_PUSH_VAPID_PRIVATE_KEY: " in bad.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG must be a boolean"),
        ({"LOGIN_MAX_FAILURES": "many"}, "LOGIN_MAX_FAILURES must be an integer"),
        ({"PLATFORM_ENV": "staging"}, "PLATFORM_ENV must be"),
        ({"TURN_URLS": "turn:turn.example:3478"}, "TURN_URLS needs TURN_SECRET"),
    ],
)
def test_bad_settings_fail_loudly_at_start_up(env, message):
    result = settings_in_subprocess(**env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_healthz_and_readyz_answer(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json()["checks"] == {"database": "ok", "channel_layer": "ok"}


@pytest.mark.django_db
def test_probes_answer_whatever_host_the_orchestrator_uses(client):
    assert client.get("/healthz", HTTP_HOST="10.42.0.17:8000").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.42.0.17:8000").status_code == 200
    # Everything else still validates the host.
    assert client.get("/api/me", HTTP_HOST="10.42.0.17:8000").status_code == 400


@pytest.mark.django_db
def test_responses_carry_security_headers_and_a_request_id(client):
    response = client.get("/api/auth/csrf")
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert len(response["X-Request-ID"]) >= 8


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=True, CSRF_COOKIE_SECURE=True)
def test_cookies_are_secure_when_production_asks(client, personas):
    response = client.post(
        "/api/auth/login",
        {"username": "dr.martin", "password": "demo1234"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.cookies["sessionid"]["secure"] is True
    assert response.cookies["sessionid"]["httponly"] is True


@pytest.mark.django_db
def test_unknown_api_paths_answer_in_the_error_shape(client):
    assert_error(client.get("/api/no-such-thing"), 404, "not_found")


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in ("/api/auth/login", "/api/me", "/api/patients", "/api/patients/ins-check"):
        assert path in paths
    assert client.get("/api/docs/").status_code == 200


@pytest.mark.django_db
def test_web_client_shell_is_served_for_client_side_routes(client):
    for path in ("/", "/conversations/123"):
        response = client.get(path)
        assert response.status_code == 200
        assert b"<html" in response.content.lower()
        assert "csrftoken" in response.cookies


@pytest.mark.skipif(not settings.STATICFILES_DIRS, reason="web client not built")
def test_the_built_client_assets_and_service_worker_are_served(client):
    index = client.get("/").content.decode()
    asset = re.search(r'src="(/static/assets/[^"]+\.js)"', index)
    assert asset, index[:300]
    script = client.get(asset.group(1))
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    worker = client.get("/static/sw.js")
    assert worker.status_code == 200
    assert worker["Service-Worker-Allowed"] == "/"
    assert worker["Cache-Control"] == "no-cache"


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_uses_valid_identifiers():
    call_command("seed_demo", verbosity=0)
    counts = (Organization.objects.count(), Professional.objects.count(), Patient.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (
        Organization.objects.count(),
        Professional.objects.count(),
        Patient.objects.count(),
    ) == counts
    assert all(is_valid_finess(o.finess) for o in Organization.objects.all())
    assert all(is_valid_rpps(p.rpps or "") for p in Professional.objects.exclude(rpps=None))
    for patient in Patient.objects.all():
        assert parse_ins(patient.ins).sex == patient.sex
    assert Patient.objects.filter(ins="285037728417346", identity_status="QUAL").exists()


@pytest.mark.django_db
@override_settings(PRODUCTION=True)
def test_seed_demo_is_refused_in_production():
    with pytest.raises(CommandError, match="refusé en production"):
        call_command("seed_demo")
    assert Organization.objects.count() == 0


def test_log_lines_never_carry_database_row_values():
    try:
        raise ValueError(
            "duplicate key value violates unique constraint\n"
            "DETAIL:  Key (organization_id, ins)=(1, 285037728417346) already exists."
        )
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = json.loads(JsonFormatter().format(record))
    assert "285037728417346" not in line["exc"]
    assert "duplicate key" in line["exc"]
