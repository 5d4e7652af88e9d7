"""Directory state changes: publishing the platform's own people and team mailboxes, liste rouge.

Platform entries are a read model of ``accounts`` (Professional, Membership, Mailbox), rebuilt
from them by the ``publish_*`` functions, so they can be called any number of times. Their
MSSanté addresses are not copied: search reads them live from ``accounts.Mailbox``, so hiding a
mailbox takes effect at once.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from backend.accounts.models import Mailbox, Membership, Professional
from backend.audit import log as audit
from backend.directory.models import DirectoryEntry
from backend.directory.text import search_columns

# Who is offered as a recipient: people who take part in care. Billing staff and pure
# administrators have profiles too, but nobody should pick them to discuss a patient.
PUBLISHED_ROLES = (
    Membership.Role.CLINICIAN,
    Membership.Role.COORDINATOR,
    Membership.Role.SECRETARY,
)
PLATFORM = DirectoryEntry.Source.PLATFORM


def professional_key(professional_id: uuid.UUID | str) -> str:
    return f"platform:pro:{professional_id}"


def mailbox_key(mailbox_id: uuid.UUID | str) -> str:
    return f"platform:bal:{mailbox_id}"


def _save_entry(key: str, fields: dict[str, Any] | None) -> None:
    if fields is None:
        DirectoryEntry.objects.filter(key=key, active=True).update(active=False)
        return
    fields = {**fields, "source": PLATFORM}
    defaults = {**fields, **search_columns(fields), "active": True}
    DirectoryEntry.objects.update_or_create(key=key, defaults=defaults)


def _professional_fields(professional: Professional) -> dict[str, Any] | None:
    user = professional.user
    if not user.is_active or user.is_service:
        return None
    memberships = list(
        professional.memberships.filter(role__in=PUBLISHED_ROLES)
        .select_related("organization")
        .order_by("organization__name")
    )
    if not memberships and not professional.national_id:
        return None
    mailboxes = list(professional.mailboxes.filter(active=True).values_list("hidden", flat=True))
    if mailboxes and all(mailboxes):
        return None  # every personal mailbox on the liste rouge: the person is not published
    organization = memberships[0].organization if memberships else None
    return {
        "kind": DirectoryEntry.Kind.PERSON,
        "national_id": professional.national_id or "",
        "rpps": professional.rpps or "",
        "title": professional.title,
        "family_name": professional.family_name,
        "given_name": professional.given_name,
        "name": professional.display_name,
        "profession_code": professional.profession_code,
        "profession_label": professional.profession_label,
        "specialty": professional.specialty,
        "organization_name": organization.name if organization else "",
        "city": organization.city if organization else "",
        "postcode": organization.postcode if organization else "",
        "has_mssante": not all(mailboxes) if mailboxes else False,
        "user": user,
    }


@transaction.atomic
def publish_professional(professional_id: uuid.UUID | str) -> None:
    professional = Professional.objects.select_related("user").filter(pk=professional_id).first()
    fields = _professional_fields(professional) if professional else None
    _save_entry(professional_key(professional_id), fields)


def _mailbox_fields(mailbox: Mailbox) -> dict[str, Any] | None:
    # APP mailboxes are software endpoints: never offered as a recipient to a person.
    if mailbox.kind != Mailbox.Kind.ORGANIZATIONAL or not mailbox.active or mailbox.hidden:
        return None
    organization = mailbox.organization
    return {
        "kind": DirectoryEntry.Kind.MAILBOX,
        "name": mailbox.display_name or mailbox.address,
        "organization_name": organization.name if organization else "",
        "city": organization.city if organization else "",
        "postcode": organization.postcode if organization else "",
        "has_mssante": True,
        "user": None,
    }


@transaction.atomic
def publish_mailbox(mailbox_id: uuid.UUID | str) -> None:
    mailbox = Mailbox.objects.select_related("organization").filter(pk=mailbox_id).first()
    if mailbox is not None and mailbox.kind == Mailbox.Kind.PERSONAL:
        if mailbox.professional_id:
            publish_professional(mailbox.professional_id)
        return
    _save_entry(mailbox_key(mailbox_id), _mailbox_fields(mailbox) if mailbox else None)


@transaction.atomic
def publish_organization(organization_id: uuid.UUID | str) -> None:
    """An organisation's name or town changed: its people and team mailboxes show it."""
    members = Membership.objects.filter(organization_id=organization_id)
    for professional_id in set(members.values_list("professional_id", flat=True)):
        publish_professional(professional_id)
    for mailbox_id in Mailbox.objects.filter(organization_id=organization_id).values_list(
        "id", flat=True
    ):
        publish_mailbox(mailbox_id)


@transaction.atomic
def publish_platform() -> int:
    """Rebuild every platform entry (after migrations, or to repair); returns active entries."""
    keys = set()
    for professional_id in Professional.objects.values_list("id", flat=True):
        publish_professional(professional_id)
        keys.add(professional_key(professional_id))
    for mailbox_id in Mailbox.objects.exclude(kind=Mailbox.Kind.PERSONAL).values_list(
        "id", flat=True
    ):
        publish_mailbox(mailbox_id)
        keys.add(mailbox_key(mailbox_id))
    # Entries whose professional or mailbox no longer exists.
    DirectoryEntry.objects.filter(source=PLATFORM, active=True).exclude(key__in=keys).update(
        active=False
    )
    return DirectoryEntry.objects.filter(source=PLATFORM, active=True).count()


@transaction.atomic
def set_mailbox_visibility(actor: Any, mailbox: Mailbox, *, hidden: bool) -> Mailbox:
    """Liste rouge: a hidden mailbox (and a person whose mailboxes are all hidden) leaves the
    directory; imported copies of the address are hidden too."""
    locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if locked.hidden == hidden:
        return locked
    locked.hidden = hidden
    locked.save(update_fields=["hidden"])
    audit.record(
        "directory.mailbox_visibility_changed",
        actor=actor,
        obj=locked,
        organization=locked.organization,
        data={"hidden": hidden, "kind": locked.kind},
    )
    publish_mailbox(locked.pk)
    return locked
