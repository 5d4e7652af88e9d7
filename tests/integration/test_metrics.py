"""`/metrics` (issue #9): Prometheus text with HTTP requests by method and status class, their
latency histogram, messages sent, tasks and MSSanté outcomes; behind a bearer token when
METRICS_TOKEN is set."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client, override_settings

from backend import metrics
from backend.mssante.actions import queue_message
from backend.mssante.tasks import send_outbound
from conversations import actions
from conversations.calls.tasks import expire_unanswered_call
from tests.support.mssante import per_mailbox
from tests.support.smtp_server import SmtpRelay

pytestmark = pytest.mark.django_db

SERIES = re.compile(r"^([a-z_]+(?:\{[^}]*\})?) (\S+)$")


def scrape(client: Client, **headers: str) -> dict[str, float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    values: dict[str, float] = {}
    for line in response.content.decode().splitlines():
        if line.startswith("#"):
            assert re.match(r"^# (HELP|TYPE) [a-z_]+ ", line), line
            continue
        match = SERIES.match(line)
        assert match, f"not a Prometheus sample line: {line!r}"
        values[match[1]] = float(match[2])
    return values


def test_a_message_sent_over_rest_is_counted_with_the_http_request(personas, as_user) -> None:
    conversation, _ = actions.create_conversation(personas.gp, users=[personas.cardiologist])
    before = scrape(Client())
    response = as_user(personas.gp).post(
        f"/api/conversations/{conversation.pk}/messages",
        {"client_id": str(uuid.uuid4()), "body": "Compté", "attachments": []},
        format="json",
    )
    assert response.status_code == 201, response.content
    after = scrape(Client())

    sent = "liaison_messages_sent_total"
    assert after[sent] == before.get(sent, 0) + 1
    posts = 'liaison_http_requests_total{method="POST",status="2xx"}'
    assert after[posts] == before.get(posts, 0) + 1
    # The scrape before this one is a counted GET too, and every request is timed.
    assert after['liaison_http_requests_total{method="GET",status="2xx"}'] >= 1
    count = 'liaison_http_request_duration_seconds_count{method="POST"}'
    assert after[count] == before.get(count, 0) + 1
    inf = 'liaison_http_request_duration_seconds_bucket{method="POST",le="+Inf"}'
    assert after[inf] == after[count]
    assert after['liaison_http_request_duration_seconds_sum{method="POST"}'] > 0


def test_unknown_routes_and_ws_gauge_and_tasks_are_exposed(personas) -> None:
    client = Client()
    assert client.get("/api/nothing-here").status_code == 404
    metrics.gauge_add("liaison_ws_connections", 0)  # the consumer moves it by ±1
    before = scrape(client)
    expire_unanswered_call.apply(args=(str(uuid.uuid4()),))  # runs here, like an eager task
    after = scrape(client)
    assert after['liaison_http_requests_total{method="GET",status="4xx"}'] >= 1
    assert "liaison_ws_connections" in after
    success = (
        'liaison_tasks_total{outcome="success",task="conversations.tasks.expire_unanswered_call"}'
    )
    assert after[success] == before.get(success, 0) + 1


def test_mssante_sends_are_counted_by_final_status(
    personas, tmp_path, django_capture_on_commit_callbacks
) -> None:
    sent = 'liaison_mssante_sends_total{status="sent"}'
    before = scrape(Client()).get(sent, 0)
    with (
        SmtpRelay.serving(tmp_path / "pki") as relay,
        override_settings(**relay.settings()),
        django_capture_on_commit_callbacks(execute=False),
    ):
        message = queue_message(
            actor=personas.gp,
            sender_mailbox=per_mailbox(personas.gp),
            recipients=["julie.durand@demo.mssante.fr"],
            subject="Objet",
            text="Bonjour",
        )
        send_outbound(str(message.pk))
        assert len(relay.messages) == 1
    assert scrape(Client())[sent] == before + 1


def test_the_token_guards_metrics_when_set(settings) -> None:
    settings.METRICS_TOKEN = "jeton-de-supervision"
    client = Client()
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer autre"}).status_code == 404
    assert (
        client.get("/metrics", headers={"Authorization": "jeton-de-supervision"}).status_code == 404
    )
    scrape(client, Authorization="Bearer jeton-de-supervision")
    settings.METRICS_TOKEN = None
    scrape(client)
