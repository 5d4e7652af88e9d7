"""The expert's report: writing it, filing it (frozen PDF, MSSanté mails, acts) and reading it.
Part of the actions layer (``teleexpertise.actions`` re-exports these)."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend import locks
from backend.accounts.models import User
from backend.errors import Conflict, NotFound
from teleexpertise import acts as act_rules
from teleexpertise import filing, report_pdf
from teleexpertise.access import access_request
from teleexpertise.models import Report, TeleexpertiseRequest
from teleexpertise.workflow import audit_request, notify, require_expert_of, require_status

S = TeleexpertiseRequest.Status


@transaction.atomic
def write_report(
    actor: User,
    request_id: Any,
    *,
    context: str,
    answer: str,
    conclusion: str,
    recommendations: str = "",
) -> TeleexpertiseRequest:
    """The expert may rewrite the report until it is filed."""
    request = access_request(actor, request_id, for_update=True)
    require_expert_of(actor, request)
    require_status(request, S.ACCEPTED, S.ANSWERED)
    first = request.status == S.ACCEPTED
    now = timezone.now()
    Report.objects.update_or_create(
        request=request,
        defaults={
            "context": context.strip(),
            "answer": answer.strip(),
            "conclusion": conclusion.strip(),
            "recommendations": recommendations.strip(),
            "written_at": now,
        },
    )
    request.status, request.answered_at = S.ANSWERED, now
    request.save(update_fields=["status", "answered_at", "updated_at"])
    audit_request("teleexpertise.answered", actor, request, rewritten=not first)
    notify(
        request,
        f"Compte rendu {'rédigé' if first else 'modifié'} par {actor.display_name}.",
    )
    return request


def file_request(
    actor: User,
    request_id: Any,
    *,
    declare_acts: bool = True,
    visibility: str | None = None,
    now: datetime.datetime | None = None,
) -> TeleexpertiseRequest:
    """Freeze the PDF, queue the MSSanté mails, declare TE2 and RQD each on its own rule, once.

    An act its rule refuses (yearly limit, same MSP, no tariff) is recorded in
    ``act_refusals`` with its reason; the filing and the other act go through. The PDF is
    rendered before the transaction that locks the request (slow work holds no lock); if the
    report changed in between, it is rendered again."""
    now = now or timezone.now()
    for _attempt in range(3):
        request = access_request(actor, request_id)
        require_expert_of(actor, request)
        report = Report.objects.filter(request=request).first()
        if request.filed_at is not None or report is None:
            break  # refused below, under the lock, with the right error
        pdf = report_pdf.render(request, report, dated=timezone.localtime(now))
        filed = _file(actor, request_id, pdf, report.written_at, declare_acts, visibility, now)
        if filed is not None:
            return filed
    _file(actor, request_id, None, None, declare_acts, visibility, now)  # raises what applies
    raise Conflict(
        "report_changed", "Le compte rendu vient d'être modifié : classez-le de nouveau."
    )


@transaction.atomic
def _file(
    actor: User,
    request_id: Any,
    pdf: bytes | None,
    rendered_for: datetime.datetime | None,
    declare_acts: bool,
    visibility: str | None,
    now: datetime.datetime,
) -> TeleexpertiseRequest | None:
    """The filing itself, under the request's lock; None when the report changed since `pdf`
    was rendered (the caller renders again)."""
    request = access_request(actor, request_id, for_update=True)
    require_expert_of(actor, request)
    if request.filed_at is not None:
        raise Conflict("already_filed", "Ce compte rendu est déjà classé et envoyé.")
    require_status(request, S.ANSWERED)
    report = locks.lock(Report.objects.all(), request=request)
    if pdf is None or report.written_at != rendered_for:
        return None
    report.pdf, report.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
    # Not given: the default for this patient (a minor's differs, see filing.default_visibility).
    report.dmp_visibility = filing.check_visibility(
        visibility or filing.default_visibility(request.patient)
    )
    report.save(update_fields=["pdf", "pdf_sha256", "dmp_visibility"])
    messages = filing.send_report(request, pdf, visibility=report.dmp_visibility)
    acts, refusals = (
        act_rules.declare_for_request(request, timezone.localdate(now))
        if declare_acts
        else ([], [{"code": "*", "reason": "not_declared", "message": "Classée sans déclarer."}])
    )
    request.status, request.filed_at, request.act_refusals = S.FILED, now, refusals
    request.save(update_fields=["status", "filed_at", "act_refusals", "updated_at"])
    audit_request(
        "teleexpertise.filed",
        actor,
        request,
        mails=[str(m.pk) for m in messages],
        acts=[a.code for a in acts],
        refused=[r["code"] for r in refusals],
        visibility=report.dmp_visibility,
        pdf_sha256=report.pdf_sha256,
    )
    notify(request, f"Compte rendu classé et envoyé par MSSanté par {actor.display_name}.")
    return request


def pdf_of(actor: User, request_id: Any) -> tuple[TeleexpertiseRequest, bytes]:
    """The filed PDF, or a preview of the current report before filing; the read is audited."""
    request = access_request(actor, request_id)
    report = Report.objects.filter(request=request).first()
    if report is None:
        raise NotFound("Aucun compte rendu pour cette demande.")
    pdf = (
        bytes(report.pdf)
        if report.pdf
        else report_pdf.render(request, report, dated=timezone.localtime())
    )
    with transaction.atomic():
        audit_request("teleexpertise.report_read", actor, request, filed=bool(report.pdf))
    return request, pdf
