"""Unsent uploads are bounded: a per-user quota of files and bytes (409), and a periodic task
deletes those never sent, files included."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from conversations import actions
from conversations.models import Attachment
from conversations.tasks import expire_unsent_uploads
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(client, size: int = 0):
    data = PDF + b"0" * size
    return client.post(
        "/api/attachments",
        {"file": SimpleUploadedFile("compte-rendu.pdf", data, "application/pdf")},
        format="multipart",
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_files(root: Path) -> int:
    return sum(1 for p in root.rglob("*") if p.is_file())


def test_the_quota_of_unsent_files_is_per_user_and_freed_by_sending(
    personas, as_user, settings, media
):
    settings.UPLOAD_UNSENT_MAX_FILES = 2
    gp = as_user(personas.gp)
    first, second = upload(gp).json(), upload(gp).json()
    assert_error(upload(gp), 409, "upload_quota")
    assert Attachment.objects.filter(uploaded_by=personas.gp).count() == 2
    assert stored_files(media) == 2  # the refused file was never written
    assert upload(as_user(personas.cardiologist)).status_code == 201  # their own quota
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    sent = gp.post(
        f"/api/conversations/{conversation.pk}/messages",
        {"client_id": str(uuid.uuid4()), "body": "", "attachments": [first["id"]]},
        format="json",
    )
    assert sent.status_code == 201, sent.content
    assert upload(gp).status_code == 201  # one slot freed by the sent file
    assert second["id"]


def test_the_quota_counts_bytes_too(personas, as_user, settings, media):
    settings.UPLOAD_UNSENT_MAX_BYTES = 3000
    gp = as_user(personas.gp)
    assert upload(gp, 2000).status_code == 201
    assert_error(upload(gp, 2000), 409, "upload_quota")


def test_unsent_uploads_expire_with_their_files(personas, as_user, settings, media):
    settings.UPLOAD_UNSENT_TTL_HOURS = 24
    gp = as_user(personas.gp)
    old, recent, sent = (upload(gp).json()["id"] for _ in range(3))
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    actions.send_message(
        personas.gp, conversation.pk, client_id="with-file", body="", attachment_ids=[sent]
    )
    Attachment.objects.filter(pk__in=[old, sent]).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    old_path = Path(Attachment.objects.get(pk=old).file.path)
    assert old_path.exists()
    assert expire_unsent_uploads.apply().get() == 1
    assert set(Attachment.objects.values_list("pk", flat=True)) == {
        uuid.UUID(recent),
        uuid.UUID(sent),
    }
    assert not old_path.exists()
    assert stored_files(media) == 2
