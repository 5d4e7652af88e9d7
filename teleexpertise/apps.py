from django.apps import AppConfig


class TeleexpertiseConfig(AppConfig):
    name = "teleexpertise"
    label = "teleexpertise"

    def ready(self) -> None:
        # The act quota counts the person: acts follow when records of a person change.
        from teleexpertise.acts import connect_signals

        connect_signals()
