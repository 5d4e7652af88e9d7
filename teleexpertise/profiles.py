"""An expert's public profile: what the requesting clinicians see in the experts' directory."""

from __future__ import annotations

from django.db import transaction

from backend.accounts.access import professional_of
from backend.accounts.models import User
from backend.audit import log as audit
from backend.errors import DomainError, Kind
from teleexpertise import acts as act_rules
from teleexpertise.models import ExpertProfile


@transaction.atomic
def publish_profile(
    actor: User, *, specialty: str, description: str, prerequisites: str, accepting: bool
) -> ExpertProfile:
    professional = professional_of(actor)
    if not act_rules.is_expert(professional):
        raise DomainError(
            "not_an_expert",
            "Seul un médecin ou une sage-femme déclaré expert publie un profil d'expert.",
            Kind.FORBIDDEN,
        )
    profile, created = ExpertProfile.objects.update_or_create(
        professional=professional,
        defaults={
            "specialty": specialty.strip(),
            "description": description.strip(),
            "prerequisites": prerequisites.strip(),
            "accepting": accepting,
        },
    )
    audit.record(
        "teleexpertise.profile_published",
        actor=actor,
        obj=profile,
        data={"created": created, "accepting": accepting},
    )
    return profile
