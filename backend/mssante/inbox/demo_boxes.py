"""Demo team mailboxes (``manage.py seed_demo``), shared by the demo inbox (demo.py) and the
pharmacy's (demo_pharmacy.py), which would otherwise import each other."""

from __future__ import annotations

from django.db import transaction

from backend.accounts.models import Mailbox, Professional

__all__ = ["team_box"]


@transaction.atomic
def team_box(username: str, address: str, display_name: str) -> Mailbox:
    """An ORG box of ``username``'s structure, with them as its responsible and a member."""
    member = Professional.objects.get(user__username=username)
    box, _ = Mailbox.objects.get_or_create(
        address=address,
        defaults={
            "kind": Mailbox.Kind.ORGANIZATIONAL,
            "organization": member.memberships.get().organization,
            "display_name": display_name,
            "responsible": member,
        },
    )
    box.members.add(member)
    return box
