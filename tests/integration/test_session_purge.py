"""Expired sessions are purged by the beat (nothing else deletes them); live ones are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone

from backend.accounts.tasks import purge_expired_sessions
from tests.conftest import signed_in_browser

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> str:
    return signed_in_browser(username).cookies["sessionid"].value


def test_the_beat_purges_expired_sessions_and_keeps_live_ones(personas):
    live, old = signed_in("dr.martin"), signed_in("dr.bernard")
    Session.objects.filter(pk=old).update(expire_date=timezone.now() - timedelta(seconds=1))
    purge_expired_sessions()
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    schedule = settings.CELERY_BEAT_SCHEDULE["accounts-purge-expired-sessions"]
    assert schedule["task"] == "backend.accounts.tasks.purge_expired_sessions"
