"""The Celery app. In the embedded default, tasks run eagerly in the calling process.

Task metrics: the publishing process counts what it queues, the process that runs a task counts
its outcome (success, failure, retry) in `backend.metrics`.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import after_task_publish, task_failure, task_retry, task_success

from backend import metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("liaison")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The conversations app keeps its tasks in its wings, the MSSanté app its inbox's in its package.
app.autodiscover_tasks(
    [
        "conversations.calls",
        "conversations.push",
        "conversations.syntheses",
        "backend.mssante.inbox",
    ]
)


def _task_name(sender: Any) -> str:
    return str(getattr(sender, "name", sender) or "unknown")


@after_task_publish.connect(weak=False)
def _count_published(sender: Any = None, **_: Any) -> None:
    metrics.inc("liaison_tasks_published_total", task=_task_name(sender))


@task_success.connect(weak=False)
def _count_success(sender: Any = None, **_: Any) -> None:
    metrics.inc("liaison_tasks_total", task=_task_name(sender), outcome="success")


@task_failure.connect(weak=False)
def _count_failure(sender: Any = None, **_: Any) -> None:
    metrics.inc("liaison_tasks_total", task=_task_name(sender), outcome="failure")


@task_retry.connect(weak=False)
def _count_retry(sender: Any = None, **_: Any) -> None:
    metrics.inc("liaison_tasks_total", task=_task_name(sender), outcome="retry")


def enqueue(name: str, *args: Any, countdown: float | None = None) -> None:
    """Queues the task registered under `name` (by name: the caller need not import the task's
    module, which often imports the caller's). Through the task's own `apply_async`, so
    CELERY_TASK_ALWAYS_EAGER (tests, an eager deployment) runs it here and now, which
    `send_task` would not: it always publishes to the broker."""
    task = app.tasks.get(name)
    if task is None:
        # Autodiscovery is lazy: a process that has not imported the task modules yet does now.
        app.loader.import_default_modules()
        task = app.tasks[name]
    if countdown is None:
        task.apply_async(args=args)
    else:
        task.apply_async(args=args, countdown=countdown)
