from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "backend.directory"
    label = "directory"
    verbose_name = "Annuaire"

    def ready(self) -> None:
        from backend.directory import signals

        signals.connect(self)
