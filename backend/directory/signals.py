"""Keep the platform's directory entries in step with accounts, whoever changes them.

Accounts are changed by several apps (sign-up, admin, demo seed); hooking their saves here keeps
the directory correct without each of them knowing it exists. Handlers only call the idempotent
``actions.publish_*`` functions, inside the caller's transaction.
"""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connection
from django.db.models.signals import post_delete, post_migrate, post_save

from backend.accounts.models import Mailbox, Membership, Organization, Professional, User
from backend.directory import actions
from backend.directory.models import DirectoryEntry


def _professional_saved(sender: Any, instance: Professional, raw: bool = False, **_: Any) -> None:
    if not raw:
        actions.publish_professional(instance.pk)


def _user_saved(sender: Any, instance: User, raw: bool = False, **_: Any) -> None:
    if raw:
        return
    for professional_id in Professional.objects.filter(user=instance).values_list("id", flat=True):
        actions.publish_professional(professional_id)


def _membership_changed(sender: Any, instance: Membership, raw: bool = False, **_: Any) -> None:
    if not raw:
        actions.publish_professional(instance.professional_id)


def _mailbox_saved(sender: Any, instance: Mailbox, raw: bool = False, **_: Any) -> None:
    if not raw:
        actions.publish_mailbox(instance.pk)


def _organization_saved(
    sender: Any, instance: Organization, raw: bool = False, created: bool = False, **_: Any
) -> None:
    if not raw and not created:
        actions.publish_organization(instance.pk)


def _after_migrate(sender: AppConfig, **_: Any) -> None:
    # Databases seeded before this app existed (or restored from a dump) get their entries.
    if DirectoryEntry._meta.db_table in connection.introspection.table_names():
        actions.publish_platform()


def connect(app_config: AppConfig) -> None:
    uid = "directory."
    post_save.connect(_professional_saved, sender=Professional, dispatch_uid=uid + "pro")
    post_delete.connect(_professional_saved, sender=Professional, dispatch_uid=uid + "pro-del")
    post_save.connect(_user_saved, sender=User, dispatch_uid=uid + "user")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid=uid + "member")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid=uid + "member-del")
    post_save.connect(_mailbox_saved, sender=Mailbox, dispatch_uid=uid + "mailbox")
    post_save.connect(_organization_saved, sender=Organization, dispatch_uid=uid + "org")
    post_migrate.connect(_after_migrate, sender=app_config, dispatch_uid=uid + "migrate")
