"""Database, channel layer, cache and Celery: embedded defaults unless DATABASE_URL/REDIS_URL."""

from __future__ import annotations

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.settings.base import VAR_DIR
from backend.settings.env import env, env_bool, env_int

# --- Database: SQLite under var/ unless DATABASE_URL says otherwise -------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    # Channels consumers hold connections in worker threads: health checks close stale ones.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "db.sqlite3"),
            # Several threads (daphne + sync_to_async) write: wait instead of "database is locked".
            # WAL: readers do not wait for the writer, and with synchronous=NORMAL a commit
            # appends to the log without an fsync (the log is synced at checkpoints; a power
            # cut may lose the last commits, never corrupt the file). Issue #21: the rollback
            # journal's fsync was a quarter of a message's wall time.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            },
            # The message path's worker threads keep their connection (a new one per trip
            # cost the open and the pragmas each time).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery broker ----------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Redis pub/sub, addressed for the process hub (conversations/hub.py), and sockets
            # told to resync when its subscription comes back.
            "BACKEND": "backend.channel_layer.ResyncingPubSubChannelLayer",
            "CONFIG": {
                # After a Redis restart pooled connections are dead: a health check before
                # reuse and one retry on connection errors deliver the next event live.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "health_check_interval": 2,
                        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
                    }
                ],
                "prefix": env("CHANNEL_LAYER_PREFIX", "liaison") or "liaison",
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "liaison") or "liaison",
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "backend.channel_layer.AddressedInMemoryChannelLayer",
            # One channel per process carries every socket's messages (conversations/hub.py).
            "CONFIG": {"capacity": 10_000},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Heavy work (PDF rendering, MSSanté, imports) never runs in a web request, in any mode: with
# Redis, workers consume from it; in the embedded default the broker is kombu's filesystem
# transport under var/ (no server) and `make run` starts a worker beside daphne.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 600, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 540, minimum=1)
# Periodic work (celery beat): catch sends whose task was lost, flag late teleexpertise answers.
CELERY_BEAT_SCHEDULE = {
    "psc-refresh-sessions": {
        "task": "backend.accounts.tasks.refresh_psc_sessions",
        "schedule": 60.0,
    },
    "accounts-purge-expired-sessions": {
        "task": "backend.accounts.tasks.purge_expired_sessions",
        "schedule": 6 * 3600.0,
    },
    "mssante-send-pending": {"task": "backend.mssante.tasks.send_pending", "schedule": 60.0},
    # The polling fallback of the inbox (the IDLE worker, when running, is faster).
    "mssante-fetch-all": {"task": "backend.mssante.inbox.tasks.fetch_all", "schedule": 60.0},
    "mssante-inbox-pending": {
        "task": "backend.mssante.inbox.tasks.process_pending",
        "schedule": 300.0,
    },
    "conversations-expire-unsent-uploads": {
        "task": "conversations.tasks.expire_unsent_uploads",
        "schedule": 3600.0,
    },
    # Urgent messages whose reminder task was lost (the task itself runs with a countdown).
    "conversations-remind-urgent": {
        "task": "conversations.tasks.remind_overdue_urgent",
        "schedule": 60.0,
    },
    "conversations-purge-push-deliveries": {
        "task": "conversations.push.tasks.purge_deliveries",
        "schedule": 6 * 3600.0,
    },
    "teleexpertise-flag-overdue": {
        "task": "teleexpertise.tasks.flag_overdue_requests",
        "schedule": 3600.0,
    },
}
