"""Every task of the app can be queued: Celery's `apply_async` refuses a task whose soft time
limit (its own, else CELERY_TASK_SOFT_TIME_LIMIT, 540 s) is above its hard one. Three tasks had
a hard limit under 540 s and no soft one of their own: the urgent reminder was never scheduled
(« urgent: could not schedule the reminder », seen in a test's log) and beat could not queue
the overdue sweeps."""

from __future__ import annotations

from django.conf import settings

from backend.celery import app


def test_every_task_has_its_soft_limit_under_its_hard_one() -> None:
    app.loader.import_default_modules()
    ours = {
        name: task
        for name, task in app.tasks.items()
        if not name.startswith("celery.") and task.time_limit
    }
    assert "conversations.tasks.remind_urgent" in ours  # the registry was read
    default_soft = settings.CELERY_TASK_SOFT_TIME_LIMIT
    refused = {
        name: (soft, hard)
        for name, task in ours.items()
        if (soft := task.soft_time_limit or default_soft) > (hard := task.time_limit or 0)
    }
    assert refused == {}
