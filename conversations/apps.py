from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ConversationsConfig(AppConfig):
    name = "conversations"
    label = "conversations"

    def ready(self) -> None:
        from conversations.push import signals  # noqa: F401 - connects the receivers
        from conversations.search.sqlite import ensure_index

        # The embedded mode's message search index (conversations.search.sqlite).
        post_migrate.connect(ensure_index, sender=self, dispatch_uid="conversations.search")
