"""Inbox API: mailboxes with unread counts, mails, attachments, team states, reply, filing.

Clinical content (subject, text, attachments, patient identity) is sent only to users with a
clinical role; a non-clinical member of a team mailbox sees who wrote and when, and the state.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.typed_schema import typed
from backend.errors import DomainError, NotFound
from backend.mssante.inbox import actions, replies_api
from backend.mssante.inbox.access import (
    access_inbound,
    access_mailbox,
    may_read_content,
    readable_mailboxes,
)
from backend.mssante.inbox.identity import known_patient, xdm_identity
from backend.mssante.inbox.models import InboundMessage, InboundRead
from backend.mssante.inbox.parse import part_payload
from backend.mssante.inbox.payloads import (
    InboxFiled,
    InboxFiling,
    InboxMail,
    InboxMailboxes,
    InboxMessages,
    InboxReply,
    InboxReplyQueued,
    InboxStateChange,
    InboxSummary,
    MailSettings,
)
from backend.mssante.naming import display_subject
from backend.patients.access import require_clinical_access

_HIDDEN = "Contenu réservé aux professionnels de santé"
FOLDERS = ["inbox", "todo", "taken", "done", "reports", "quarantine"]


def _body(payload: object) -> dict[str, object]:
    """A JSON request body declared by a TypedDict (payloads.py); the action checks it."""
    return {"application/json": typed(payload)}


def _uid(request: Request) -> Any:
    return request.user.pk


def _summary(message: InboundMessage, clinical: bool, unread: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(message.pk),
        "mailbox": str(message.mailbox_id),
        "from": message.from_address,
        "from_name": message.from_name,
        "received_at": message.fetched_at.isoformat(),
        "kind": message.kind,
        "status": message.status,
        "team_state": message.team_state,
        "taken_by": message.taken_by.get_full_name() if message.taken_by else None,
        "unread": unread,
        "has_attachments": bool(message.parts),
        "health_document": bool(message.xdm),
    }
    data["subject"] = display_subject(message.subject) if clinical else _HIDDEN
    return data


class MailboxListView(APIView):
    @extend_schema(responses={200: typed(InboxMailboxes)})
    def get(self, request: Request) -> Response:
        boxes = readable_mailboxes(request.user).select_related("connection")
        rows = []
        for box in boxes:
            mails = InboundMessage.objects.filter(mailbox=box, kind=InboundMessage.Kind.MAIL)
            unread = mails.exclude(reads__user_id=_uid(request)).count()
            todo = mails.filter(team_state=InboundMessage.TeamState.TODO).count()
            connection = getattr(box, "connection", None)
            rows.append(
                {
                    "id": str(box.pk),
                    "address": box.address,
                    "kind": box.kind,
                    "display_name": box.display_name,
                    "unread": unread,
                    "todo": todo,
                    "state": connection.state if connection else "never",
                    "state_detail": connection.last_error if connection else "",
                }
            )
        return Response({"mailboxes": rows})


class InboxListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("folder", str, enum=FOLDERS, description="défaut : inbox")],
        responses={200: typed(InboxMessages)},
    )
    def get(self, request: Request, mailbox_id: str) -> Response:
        box = access_mailbox(request.user, mailbox_id)
        folder = request.query_params.get("folder", "inbox")
        mails = InboundMessage.objects.filter(mailbox=box).select_related("taken_by")
        if folder == "inbox":
            mails = mails.filter(kind=InboundMessage.Kind.MAIL, status=InboundMessage.Status.OK)
        elif folder == "quarantine":
            mails = mails.filter(status=InboundMessage.Status.QUARANTINED)
        elif folder == "reports":
            mails = mails.exclude(kind=InboundMessage.Kind.MAIL)
        elif folder in {"todo", "taken", "done"}:
            mails = mails.filter(kind=InboundMessage.Kind.MAIL, team_state=folder)
        else:
            message = "Dossier inconnu (inbox, todo, taken, done, reports, quarantine)."
            raise DomainError("invalid_folder", message, fields={"folder": [message]})
        read = InboundRead.objects.filter(message=OuterRef("pk"), user_id=_uid(request))
        mails = mails.annotate(seen=Exists(read)).order_by("-fetched_at")[:200]
        clinical = may_read_content(request.user)
        return Response({"messages": [_summary(m, clinical, not m.seen) for m in mails]})


class InboxDetailView(APIView):
    @extend_schema(responses={200: typed(InboxMail)})
    def get(self, request: Request, message_id: str) -> Response:
        message = access_inbound(request.user, message_id)
        clinical = may_read_content(request.user)
        data = _summary(message, clinical, unread=False)
        data["history"] = [
            {
                "verb": e.verb,
                "label": e.get_verb_display(),
                "actor": e.actor.get_full_name() if e.actor else None,
                "at": e.at.isoformat(),
            }
            for e in message.events.select_related("actor")
        ]
        if message.status == InboundMessage.Status.QUARANTINED:
            data["quarantine_reason"] = message.quarantine_reason
        if not clinical:
            return Response(data)
        actions.mark_read(request.user, message)
        data |= {
            "to": message.to,
            "cc": message.cc,
            "text": message.text,
            "parts": message.parts,
            "warnings": message.warnings,
            "message_id": message.message_id,
            "xdm": xdm_identity(message.xdm) if message.xdm else None,
            "patient": str(message.patient_id) if message.patient_id else None,
            "patient_match": message.patient_match,
            "patient_known": known_patient(message),
        }
        return Response(data)


class InboxPartView(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
        }
    )
    def get(self, request: Request, message_id: str, index: int) -> HttpResponse:
        message = access_inbound(request.user, message_id)
        require_clinical_access(request.user)
        if index not in {p["index"] for p in message.parts}:
            raise NotFound("Pièce jointe introuvable.")
        found = part_payload(bytes(message.raw), index)
        if found is None:
            raise NotFound("Pièce jointe introuvable.")
        name, content_type, data = found
        actions.record_part_download(request.user, message, index)
        inline = content_type == "application/pdf"
        response = HttpResponse(
            data, content_type=content_type if inline else "application/octet-stream"
        )
        disposition = "inline" if inline else "attachment"
        response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{_quote(name)}"
        response["X-Content-Type-Options"] = "nosniff"
        if inline:
            # The PDF preview is framed by the inbox page itself (same origin only); a sandbox
            # would keep the browser's PDF viewer from showing it.
            response["X-Frame-Options"] = "SAMEORIGIN"
            response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
        else:
            response["Content-Security-Policy"] = "sandbox; default-src 'none'"
        return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


class InboxStateView(APIView):
    @extend_schema(request=_body(InboxStateChange), responses={200: typed(InboxSummary)})
    def post(self, request: Request, message_id: str) -> Response:
        message = access_inbound(request.user, message_id)
        require_clinical_access(request.user)
        body = request.data if isinstance(request.data, dict) else {}
        action = str(body.get("action", ""))
        updated = actions.set_team_state(request.user, message.pk, action)
        return Response(_summary(updated, True, unread=False))


class InboxReplyView(APIView):
    @extend_schema(request=_body(InboxReply), responses={202: typed(InboxReplyQueued)})
    def post(self, request: Request, message_id: str) -> Response:
        message = access_inbound(request.user, message_id)
        require_clinical_access(request.user)
        body = request.data if isinstance(request.data, dict) else {}
        sent = replies_api.reply(request.user, message, body)
        return Response({"id": str(sent.pk), "status": sent.status}, status=202)


class InboxFileView(APIView):
    @extend_schema(request=_body(InboxFiling), responses={200: typed(InboxFiled)})
    def post(self, request: Request, message_id: str) -> Response:
        message = access_inbound(request.user, message_id)
        require_clinical_access(request.user)
        body = request.data if isinstance(request.data, dict) else {}
        result = replies_api.file(request.user, message, body)
        return Response(result)


class MailSettingsView(APIView):
    @extend_schema(responses={200: typed(MailSettings)})
    def get(self, request: Request) -> Response:
        return Response(replies_api.settings_of(request.user))

    @extend_schema(request=_body(MailSettings), responses={200: typed(MailSettings)})
    def put(self, request: Request) -> Response:
        body = request.data if isinstance(request.data, dict) else {}
        return Response(replies_api.update_settings(request.user, body))


def unread_total(user: Any) -> int:
    boxes = readable_mailboxes(user)
    return (
        InboundMessage.objects.filter(mailbox__in=boxes, kind=InboundMessage.Kind.MAIL)
        .exclude(reads__user=user)
        .aggregate(n=Count("pk", filter=Q(status=InboundMessage.Status.OK)))["n"]
    )
