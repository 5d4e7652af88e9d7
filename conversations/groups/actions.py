"""Group changes (participants, name, leaving) and the conversation's patient: one transaction
each, a system message in the conversation and an audit event inside it, live updates after the
commit. The rules are in ``rules.py``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.access import can_take_part, team_mailbox_ids
from backend.accounts.models import Mailbox, User
from backend.audit import log as audit
from backend.errors import Conflict, DomainError, Kind, NotFound
from backend.patients.models import Patient
from conversations.access import access_conversation, participant_user_ids
from conversations.actions import _post_system_message, require_clinician
from conversations.audit import audit_conversation
from conversations.calls import actions as calls
from conversations.groups.fanout import conversation_changed
from conversations.groups.rules import group_admin_id
from conversations.models import Conversation, Participant

TITLE_MAX = 200


def _group(conversation: Conversation, message: str) -> None:
    if conversation.kind != Conversation.Kind.GROUP:
        raise Conflict("direct_conversation", message)


def _mailbox_name(mailbox: Mailbox) -> str:
    return mailbox.display_name or mailbox.address


@transaction.atomic
def add_participants(
    actor: User,
    conversation_id: Any,
    *,
    users: Sequence[User] = (),
    mailboxes: Sequence[Mailbox] = (),
) -> Conversation:
    """Adds people and team mailboxes to a group; someone already there is left as is."""
    conversation = access_conversation(actor, conversation_id, for_update=True)
    require_clinician(actor)
    _group(
        conversation,
        "On n'ajoute personne à une conversation à deux : créez un groupe avec ces personnes.",
    )
    for user in users:
        if not can_take_part(user):
            raise DomainError(
                "participant_not_allowed",
                f"{user.display_name} ne peut pas participer à une conversation clinique.",
                fields={"participants": [f"{user.display_name} : destinataire non autorisé."]},
            )
    for mailbox in mailboxes:
        if mailbox.kind != Mailbox.Kind.ORGANIZATIONAL or not mailbox.active:
            raise DomainError(
                "participant_not_allowed",
                "Seule une boîte d'équipe (organisationnelle) active peut participer.",
                fields={"participants": [f"{mailbox.address} : boîte non autorisée."]},
            )
    before = participant_user_ids(conversation)
    now = timezone.now()
    names: list[str] = []
    for key, value, name in [
        *(("user", u, u.display_name) for u in users),
        *(("mailbox", m, f"l'équipe {_mailbox_name(m)}") for m in mailboxes),
    ]:
        row = Participant.objects.filter(conversation=conversation, **{key: value}).first()
        if row is not None and row.left_at is None:
            continue  # already there
        if row is None:
            Participant.objects.create(conversation=conversation, added_by=actor, **{key: value})
        else:
            row.left_at, row.joined_at, row.added_by = None, now, actor
            row.save(update_fields=["left_at", "joined_at", "added_by"])
        audit_conversation(
            "conversation.participant_added", actor, conversation, **_target(key, value.pk)
        )
        names.append(name)
    if not names:
        return conversation
    _post_system_message(conversation, f"{actor.display_name} a ajouté {_enumerate(names)}.")
    conversation_changed(conversation, before)
    return conversation


def add_participant(actor: User, conversation_id: Any, user: User) -> Conversation:
    return add_participants(actor, conversation_id, users=[user])


def _target(key: str, pk: Any) -> dict[str, Any]:
    """The audit event's data: who was added or removed (an id, never a name)."""
    return {key: str(pk)}


def _enumerate(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]


@transaction.atomic
def remove_participant(
    actor: User, conversation_id: Any, user: User | None = None, mailbox: Mailbox | None = None
) -> None:
    """Leaving (``user`` is the actor) or removing someone else (the group's administrator)."""
    conversation = access_conversation(actor, conversation_id, for_update=True)
    require_clinician(actor)
    leaving = user is not None and user.pk == actor.pk
    if leaving:
        _group(conversation, "On ne quitte pas une conversation à deux : archivez-la plutôt.")
    else:
        _group(conversation, "On ne retire personne d'une conversation à deux.")
        if group_admin_id(conversation) != actor.pk:
            raise DomainError(
                "forbidden",
                "Seul l'administrateur du groupe retire un participant.",
                Kind.FORBIDDEN,
            )
    row = Participant.objects.filter(
        conversation=conversation, left_at__isnull=True, **_who(user, mailbox)
    ).first()
    if row is None:
        if leaving and team_mailbox_ids(actor):
            raise Conflict(
                "team_participation",
                "Vous participez par une boîte d'équipe : seul l'administrateur du groupe peut "
                "retirer l'équipe. Vous pouvez archiver la conversation ou la mettre en sourdine.",
            )
        raise NotFound("Ce participant ne fait pas partie de la conversation.")
    before = participant_user_ids(conversation)
    row.left_at = timezone.now()
    row.save(update_fields=["left_at"])
    target = _target("user", user.pk) if user else _target("mailbox", mailbox.pk)  # type: ignore[union-attr]
    audit_conversation(
        "conversation.participant_left" if leaving else "conversation.participant_removed",
        actor,
        conversation,
        **target,
    )
    name = user.display_name if user is not None else f"l'équipe {_mailbox_name(mailbox)}"  # type: ignore[arg-type]
    text = (
        f"{name} a quitté la conversation." if leaving else f"{actor.display_name} a retiré {name}."
    )
    # The system message goes to those who still see the conversation, nobody else.
    _post_system_message(conversation, text, recipients=participant_user_ids(conversation))
    conversation_changed(conversation, before, reason="left" if leaving else "removed")
    gone = before - participant_user_ids(conversation)
    if gone:
        transaction.on_commit(lambda: calls.drop_from_calls(conversation.pk, gone))


def _who(user: User | None, mailbox: Mailbox | None) -> dict[str, Any]:
    if (user is None) == (mailbox is None):
        raise DomainError("participant_required", "Précisez la personne ou l'équipe.")
    return {"user": user} if user is not None else {"mailbox": mailbox}


@transaction.atomic
def rename(actor: User, conversation_id: Any, title: str) -> Conversation:
    conversation = access_conversation(actor, conversation_id, for_update=True)
    require_clinician(actor)
    _group(conversation, "Une conversation à deux ne se renomme pas.")
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        raise DomainError(
            "title_too_long",
            f"Le nom du groupe dépasse {TITLE_MAX} caractères.",
            fields={"title": [f"{TITLE_MAX} caractères au plus."]},
        )
    if title == conversation.title:
        return conversation
    conversation.title = title
    conversation.save(update_fields=["title"])
    # The name may speak of a patient: the audit keeps that it changed, not the name.
    audit_conversation("conversation.renamed", actor, conversation, named=bool(title))
    text = (
        f"{actor.display_name} a renommé le groupe « {title} »."
        if title
        else f"{actor.display_name} a retiré le nom du groupe."
    )
    _post_system_message(conversation, text)
    conversation_changed(conversation)
    return conversation


def _identity(patient: Patient) -> str:
    born = "née" if patient.sex == Patient.Sex.FEMALE else "né"
    return f"{patient.display_name} ({born} le {patient.birth_date:%d/%m/%Y})"


@transaction.atomic
def set_patient(actor: User, conversation_id: Any, patient: Patient | None) -> Conversation:
    """Attaches, changes or detaches the patient the conversation is about. The caller has
    checked that ``actor`` may see ``patient`` (``access_patient``)."""
    conversation = access_conversation(actor, conversation_id, for_update=True)
    require_clinician(actor)
    previous = conversation.patient
    if (previous.pk if previous else None) == (patient.pk if patient else None):
        return conversation
    from teleexpertise.models import TeleexpertiseRequest

    if TeleexpertiseRequest.objects.filter(conversation=conversation).exists():
        raise Conflict(
            "teleexpertise_patient",
            "Le patient d'une téléexpertise est celui de la demande : il ne se change pas ici.",
        )
    conversation.patient = patient
    fields = ["patient"]
    if conversation.direct_key:
        # The everyday one-to-one with this colleague stays free of any patient: this one is
        # now about a patient, the next « new conversation » with them opens a fresh one.
        conversation.direct_key = None
        fields.append("direct_key")
    conversation.save(update_fields=fields)
    if previous is not None:
        audit.record(
            "conversation.patient_detached",
            actor=actor,
            obj=conversation,
            patient_id=previous.pk,
            organization=previous.organization,
        )
    if patient is not None:
        audit_conversation(
            "conversation.patient_attached",
            actor,
            conversation,
            previous_patient=str(previous.pk) if previous else None,
        )
    if patient is None:
        text = f"{actor.display_name} a détaché le patient {_identity(previous)}."  # type: ignore[arg-type]
    elif previous is None:
        text = f"{actor.display_name} a rattaché la conversation au patient {_identity(patient)}."
    else:
        text = (
            f"{actor.display_name} a changé le patient de la conversation : "
            f"{_identity(previous)} → {_identity(patient)}."
        )
    _post_system_message(conversation, text)
    conversation_changed(conversation, patient_changed=True)
    return conversation
