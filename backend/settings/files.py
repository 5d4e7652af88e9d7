"""Static files (the built client), media (health data, private) and upload limits."""

from __future__ import annotations

from pathlib import Path

from backend.settings.base import BASE_DIR, PRODUCTION, VAR_DIR
from backend.settings.env import env, env_int
from backend.static_headers import static_headers

# --- Static and media files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns at start-up without it
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.is_dir() else []
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
        # Public files that nginx, another user, serves from compose's `static` volume: not
        # the app's private 0640 of FILE_UPLOAD_PERMISSIONS (make deploy-test fetches them).
        "OPTIONS": {"file_permissions_mode": 0o644, "directory_permissions_mode": 0o755},
    },
}
WHITENOISE_ADD_HEADERS_FUNCTION = static_headers
# Outside production the freshly built client is served from frontend/dist without collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")) or VAR_DIR / "media")
FILE_UPLOAD_PERMISSIONS = 0o640  # attachments and exports hold health data
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
MEDIA_URL = "/media-not-served/"  # files are only served through access-checked views
# Non-file bodies (JSON) up to this size; larger ones get 413 before being read
# (backend/body_limit.py, and the same figure in deploy/nginx).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024, minimum=1024)
# Uploaded files are streamed to a temporary file as they arrive, never held whole in memory.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
# Uploads not yet carried by a message: at most this many files and bytes per user, deleted
# after UPLOAD_UNSENT_TTL_HOURS by a periodic task (conversations/uploads.py).
# Syntheses: at most this many messages in one PDF, rendered within this time by the worker.
SYNTHESIS_MAX_MESSAGES = env_int("SYNTHESIS_MAX_MESSAGES", 5000, minimum=1)
SYNTHESIS_TIME_LIMIT_SECONDS = env_int("SYNTHESIS_TIME_LIMIT_SECONDS", 240, minimum=10)
UPLOAD_UNSENT_MAX_FILES = env_int("UPLOAD_UNSENT_MAX_FILES", 20, minimum=1)
UPLOAD_UNSENT_MAX_BYTES = env_int("UPLOAD_UNSENT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
UPLOAD_UNSENT_TTL_HOURS = env_int("UPLOAD_UNSENT_TTL_HOURS", 24, minimum=1)
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
