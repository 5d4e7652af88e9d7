from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "backend.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Receivers: the sign-in time in the session, the session ends of signals.py.
        from backend.accounts import sessions, signals  # noqa: F401
