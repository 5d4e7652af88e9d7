from django.apps import AppConfig


class MssanteConfig(AppConfig):
    name = "backend.mssante"
    label = "mssante"
