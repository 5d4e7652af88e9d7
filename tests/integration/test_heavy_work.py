"""Heavy work leaves the web process: a synthesis is queued by the request and rendered by a
worker (never inline, in any mode; the embedded default has a real broker without a server),
one export in flight per user, and a size cap with a clear message."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from conversations import actions
from conversations.syntheses.models import Export
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def conversation_with(personas, count: int):
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    for i in range(count):
        actions.send_message(personas.gp, conversation.pk, client_id=f"m{i}", body=f"Avis {i}")
    return conversation


def test_the_request_queues_the_synthesis_and_never_renders_it(personas, as_user):
    conversation = conversation_with(personas, 2)
    inline = AssertionError("a PDF rendered inside the web request")
    with (
        mock.patch("conversations.syntheses.rendering.render", side_effect=inline) as render,
        mock.patch("conversations.syntheses.tasks.render_export", side_effect=inline) as task,
    ):
        response = as_user(personas.gp).post(
            f"/api/conversations/{conversation.pk}/synthesis", {}, format="json"
        )
    assert response.status_code == 202, response.content
    assert response.json()["export"]["status"] == "queued"
    assert not render.called and not task.called
    assert Export.objects.get().status == Export.Status.QUEUED


def test_one_export_in_flight_per_user(personas, as_user):
    conversation = conversation_with(personas, 1)
    url = f"/api/conversations/{conversation.pk}/synthesis"
    with mock.patch("conversations.syntheses.actions.render_synthesis"):
        assert as_user(personas.gp).post(url, {}, format="json").status_code == 202
        assert_error(as_user(personas.gp).post(url, {}, format="json"), 409, "export_in_progress")
        # Another participant has their own slot.
        assert as_user(personas.cardiologist).post(url, {}, format="json").status_code == 202
        Export.objects.filter(requested_by=personas.gp).update(status=Export.Status.DONE)
        assert as_user(personas.gp).post(url, {}, format="json").status_code == 202
    assert Export.objects.count() == 3


def test_a_synthesis_has_a_size_cap_with_a_clear_message(personas, as_user, settings):
    settings.SYNTHESIS_MAX_MESSAGES = 2
    conversation = conversation_with(personas, 3)
    url = f"/api/conversations/{conversation.pk}/synthesis"
    with mock.patch("conversations.syntheses.actions.render_synthesis"):
        error = assert_error(
            as_user(personas.gp).post(url, {}, format="json"), 400, "synthesis_too_large"
        )
        assert "au plus 2 messages" in error["message"]
        ranged = as_user(personas.gp).post(url, {"from_seq": 2, "to_seq": 3}, format="json")
        assert ranged.status_code == 202, ranged.content


def test_the_embedded_default_queues_to_a_broker_without_a_server(tmp_path):
    """No REDIS_URL: kombu's filesystem transport under var/, tasks not run eagerly."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("REDIS_URL", "CELERY_", "DATABASE_URL"))
    }
    env.update(PLATFORM_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="backend.settings")
    code = (
        "import django; django.setup(); from backend.celery import app; c = app.conf; "
        "print(c.broker_url, c.task_always_eager, c.broker_transport_options['data_folder_in'])"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    broker, eager, folder = run.stdout.split()
    assert (broker, eager) == ("filesystem://", "False")
    assert folder.startswith(str(tmp_path)) and os.path.isdir(folder)


def test_make_run_starts_a_worker_beside_daphne():
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "$(CELERY_WORKER) &" in run_recipe and "daphne" in run_recipe
    assert "CELERY_WORKER = $(VENV)/bin/celery -A backend worker" in makefile
