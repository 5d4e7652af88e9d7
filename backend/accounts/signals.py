"""Session ends that must happen whatever path changed the data (API action, admin site,
shell): deactivation and removal from an organisation end every session of the user."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, pre_save
from django.dispatch import receiver

from backend.accounts import sessions
from backend.accounts.models import Membership, User


@receiver(pre_save, sender=User)
def _deactivation_ends_sessions(
    sender: Any, instance: User, update_fields: Any = None, **_: Any
) -> None:
    if instance._state.adding or instance.is_active:
        return
    if update_fields is not None and "is_active" not in update_fields:
        return
    was_active = User.objects.filter(pk=instance.pk, is_active=True).exists()
    if was_active:
        sessions.end_user_sessions(instance, sessions.DEACTIVATED)


@receiver(post_delete, sender=Membership)
def _removal_ends_sessions(sender: Any, instance: Membership, **_: Any) -> None:
    user = User.objects.filter(professional__pk=instance.professional_id).first()
    if user is not None:
        sessions.end_user_sessions(user, sessions.MEMBERSHIP_REMOVED)
