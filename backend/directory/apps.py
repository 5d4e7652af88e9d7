from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "backend.directory"
    label = "directory"
