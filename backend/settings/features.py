"""Calls, INSi, teleexpertise rules, messaging limits, metrics and logging."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from backend.settings.env import env, env_bool, env_int, env_list

# --- Calls -----------------------------------------------------------------------------------
STUN_URLS = env_list("STUN_URLS", [])
TURN_URLS = env_list("TURN_URLS", [])
TURN_SECRET = env("TURN_SECRET")
TURN_CREDENTIAL_TTL = env_int("TURN_CREDENTIAL_TTL", 3600, minimum=60)
# An unanswered call ends as missed after this many seconds.
CALL_RING_SECONDS = env_int("CALL_RING_SECONDS", 45, minimum=5)
# The "test my camera and network" peer: its lifetime and how many one process runs at once.
CALL_ECHO_SECONDS = env_int("CALL_ECHO_SECONDS", 60, minimum=5)
CALL_ECHO_MAX_PEERS = env_int("CALL_ECHO_MAX_PEERS", 8, minimum=1)
if TURN_URLS and not TURN_SECRET:
    raise ImproperlyConfigured("TURN_URLS needs TURN_SECRET (the coturn static-auth-secret).")

# --- INSi: the class that asks the national INS service (a local stand-in unless configured) ---
INSI_SERVICE = env("INSI_SERVICE", "backend.patients.insi.LocalInsiStandIn")

# --- Teleexpertise (Assurance Maladie rules) ---------------------------
TELEEXPERTISE_ACTS_PER_YEAR = env_int("TELEEXPERTISE_ACTS_PER_YEAR", 4, minimum=1)
TELEEXPERTISE_ANSWER_DAYS = env_int("TELEEXPERTISE_ANSWER_DAYS", 7, minimum=1)
# A consent older than this is stale: the patient is asked again before a new request.
TELEEXPERTISE_CONSENT_MAX_AGE_DAYS = env_int("TELEEXPERTISE_CONSENT_MAX_AGE_DAYS", 90, minimum=1)

# --- Messaging limits ------------------------------------------------------------------------
MESSAGE_MAX_CHARS = env_int("MESSAGE_MAX_CHARS", 20000, minimum=100)
# An urgent message not acknowledged by everyone after this many seconds is sent once more to
# those who have not (« Pris en compte »).
URGENT_REMINDER_SECONDS = env_int("URGENT_REMINDER_SECONDS", 600, minimum=10)
WS_MAX_FRAME_BYTES = env_int("WS_MAX_FRAME_BYTES", 64 * 1024, minimum=1024)
WS_RATE_PER_SECOND = env_int("WS_RATE_PER_SECOND", 20, minimum=1)
WS_RATE_BURST = env_int("WS_RATE_BURST", 60, minimum=1)
# PostgreSQL: a plain message.send is stored from the event loop on a few pooled connections
# of each web process (conversations/async_send.py), WS_SEND_POOL_SIZE of them (each one more
# PostgreSQL connection per process); off, every send goes through a worker thread.
WS_SEND_FROM_EVENT_LOOP = env_bool("WS_SEND_FROM_EVENT_LOOP", True)
WS_SEND_POOL_SIZE = env_int("WS_SEND_POOL_SIZE", 4, minimum=1)

# --- Metrics: /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` when it is set ---
METRICS_TOKEN = env("METRICS_TOKEN")

# --- Logging: JSON lines with the request id, never bodies -----------------------------------
LOG_LEVEL = (env("LOG_LEVEL", "INFO") or "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "backend.observability.RequestIdFilter"}},
    "formatters": {"json": {"()": "backend.observability.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "daphne": {"level": "WARNING"},
    },
}
