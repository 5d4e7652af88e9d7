"""Deployment defaults: API docs from our own static files under the strict CSP, /metrics closed
in production without its token, files created private (0640 / 0750 at most)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conversations.models import Attachment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.django_db
def test_api_docs_come_from_our_static_files_under_the_csp():
    client = Client()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    csp = page["Content-Security-Policy"]
    assert "script-src 'self';" in csp  # and nothing else: no inline, no other host
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "nothing from another site"
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in attrs for attrs in scripts), "no inline script"
    for url in re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html):
        assert finders.find(url.removeprefix("/static/")), url
    start = client.get("/api/docs/?script=")
    assert start.status_code == 200 and b"SwaggerUIBundle" in start.content


@pytest.mark.django_db
def test_metrics_are_refused_in_production_without_a_token(settings):
    settings.PRODUCTION = True
    settings.METRICS_TOKEN = None
    assert Client().get("/metrics").status_code == 404
    settings.METRICS_TOKEN = "jeton-de-supervision"
    assert Client().get("/metrics").status_code == 404
    scraped = Client().get("/metrics", headers={"Authorization": "Bearer jeton-de-supervision"})
    assert scraped.status_code == 200


@pytest.mark.django_db
def test_uploaded_files_and_their_folders_are_private(personas, as_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    response = as_user(personas.gp).post(
        "/api/attachments",
        {"file": SimpleUploadedFile("ecg.pdf", PDF, "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    path = Path(Attachment.objects.get(pk=response.json()["id"]).file.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    for folder in (path.parent, path.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o007 == 0, folder


def test_every_file_the_platform_creates_is_closed_to_others(tmp_path):
    """The SQLite database, outbox mails, static files: whatever the process writes."""
    code = (
        "import django, os; django.setup(); "
        f"open({str(tmp_path / 'f')!r}, 'w').close(); os.mkdir({str(tmp_path / 'd')!r})"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) & 0o027 == 0
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) & 0o027 == 0
