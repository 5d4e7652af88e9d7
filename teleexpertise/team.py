"""Requests addressed to a specialty team: an ORG mailbox of the hospital.

Its members with a clinical role (the experts and the secretariat) see the request; one of its
experts takes it and becomes the expert of the request. A member without a clinical role (a
billing clerk who also reads the team's mail) never sees it (an invariant of the platform).
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.accounts.access import can_take_part, clinical_member_user_ids
from backend.accounts.models import Mailbox, User
from backend.errors import DomainError
from teleexpertise import acts as act_rules


def team_mailbox(mailbox_id: Any) -> Mailbox:
    """An active ORG mailbox with at least one expert member, or ``team_invalid``."""
    try:
        key = uuid.UUID(str(mailbox_id))
    except ValueError:
        key = None
    mailbox = (
        Mailbox.objects.filter(pk=key, kind=Mailbox.Kind.ORGANIZATIONAL, active=True).first()
        if key
        else None
    )
    if mailbox is None or not any(act_rules.is_expert(p) for p in mailbox.members.all()):
        message = "Cette équipe ne reçoit pas de demande de téléexpertise."
        raise DomainError("team_invalid", message, fields={"team": [message]})
    return mailbox


def clinical_members(mailbox: Mailbox) -> list[User]:
    """The members who may take part in the exchange: a clinical role in the mailbox's own
    organisation (``clinical_member_user_ids``, the rule of conversations too), active humans."""
    users = User.objects.filter(pk__in=clinical_member_user_ids([mailbox.pk])).order_by("username")
    return [user for user in users if can_take_part(user)]


def is_team_expert(user: Any, mailbox: Mailbox | None) -> bool:
    professional = getattr(user, "professional", None)
    if mailbox is None or professional is None or not act_rules.is_expert(professional):
        return False
    return mailbox.members.filter(pk=professional.pk).exists()


def teams_json(query: str = "") -> list[dict[str, Any]]:
    """The specialty teams a request may be addressed to: active, listed ORG mailboxes with at
    least one expert member."""
    mailboxes = Mailbox.objects.filter(
        kind=Mailbox.Kind.ORGANIZATIONAL, active=True, hidden=False
    ).select_related("organization")
    if query:
        mailboxes = mailboxes.filter(display_name__icontains=query)
    rows = []
    for mailbox in mailboxes.order_by("display_name")[:50]:
        if any(act_rules.is_expert(p) for p in mailbox.members.all()):
            rows.append(
                {
                    "id": str(mailbox.pk),
                    "kind": "team",
                    "display_name": mailbox.display_name or mailbox.address,
                    "address": mailbox.address,
                    "organization": mailbox.organization.name if mailbox.organization else None,
                }
            )
    return rows
