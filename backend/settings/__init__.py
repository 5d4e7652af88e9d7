"""One env-driven settings module, in parts (DJANGO_SETTINGS_MODULE stays `backend.settings`).

With no environment at all it runs the embedded default (SQLite under var/, in-memory channel
layer, eager Celery, MSSanté outbox files). DATABASE_URL and REDIS_URL switch to PostgreSQL and
Redis. PLATFORM_ENV=production turns on the production guards. Every variable is listed in
deploy/README.md; a bad value raises ImproperlyConfigured at start-up rather than later.

The parts (each imports what it uses from another, so their order here does not matter; no
setting is defined in two parts): env (the readers), base (environment, hosts, apps,
middleware, i18n), services (database, channel layer, cache, Celery), auth (sign-in, PSC,
sessions, security headers), files (static, media, uploads), api (DRF, rate limits, OpenAPI),
mssante, features (calls, INSi, teleexpertise, messaging limits, metrics, logging), push (Web
Push: VAPID key, allowed push services).
"""

from backend.settings.api import *  # noqa: F403
from backend.settings.auth import *  # noqa: F403
from backend.settings.base import *  # noqa: F403
from backend.settings.features import *  # noqa: F403
from backend.settings.files import *  # noqa: F403
from backend.settings.mssante import *  # noqa: F403
from backend.settings.push import *  # noqa: F403
from backend.settings.services import *  # noqa: F403
