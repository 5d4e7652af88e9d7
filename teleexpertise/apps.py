from django.apps import AppConfig


class TeleexpertiseConfig(AppConfig):
    name = "teleexpertise"
    label = "teleexpertise"
