from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    label = "conversations"

    def ready(self) -> None:
        from conversations.push import signals  # noqa: F401 - connects the receivers
