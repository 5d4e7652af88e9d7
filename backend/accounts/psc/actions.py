"""Signing a professional in from what Pro Santé Connect asserted: found by RPPS, linked on the
first sign-in, never created silently; the exercices are kept for display and compared with
the platform's memberships, a mismatch being reported to the organisation's administrators."""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import auth
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.middleware import is_verified as otp_is_verified

from backend.accounts.models import Membership, Organization, Professional, User
from backend.accounts.psc import tokens
from backend.accounts.psc.errors import PscError
from backend.audit import log as audit

# Claim names of PSC (its specification): the only thing about PSC written in the code.
SUBJECT_NAME_ID = "SubjectNameID"
SUBJECT_REF_PRO = "SubjectRefPro"
MISMATCH_REPORT_SECONDS = 24 * 3600  # one report per mismatch and day, not per sign-in
# Roles whose membership PSC's exercices should confirm.
PRACTISING_ROLES = {Membership.Role.CLINICIAN, Membership.Role.COORDINATOR}


def rpps_of(userinfo: dict[str, Any]) -> str:
    national = str(userinfo.get(SUBJECT_NAME_ID) or "")
    if len(national) != 12 or not national.startswith("8") or not national.isdigit():
        raise PscError("psc_no_rpps")
    return national[1:]


def exercices_of(userinfo: dict[str, Any]) -> list[dict[str, Any]]:
    """A plain summary of the exercices (profession, savoir-faire, sites), for display."""
    ref = userinfo.get(SUBJECT_REF_PRO)
    raw = ref.get("exercices") if isinstance(ref, dict) else None
    result = []
    for exercice in raw if isinstance(raw, list) else []:
        if not isinstance(exercice, dict):
            continue
        sites = []
        for activity in exercice.get("activities") or []:
            if isinstance(activity, dict) and activity.get("numeroFinessSite"):
                sites.append(
                    {
                        "finess": str(activity.get("numeroFinessSite"))[:9],
                        "finess_ej": str(activity.get("numeroFinessetablissementJuridique") or "")[
                            :9
                        ],
                        "name": str(activity.get("raisonSocialeSite") or "")[:200],
                        "city": str(activity.get("libelleCommune") or "")[:120],
                    }
                )
        result.append(
            {
                "profession_code": str(exercice.get("codeProfession") or "")[:4],
                "savoir_faire": str(exercice.get("codeSavoirFaire") or "")[:100],
                "sites": sites,
            }
        )
    return result


def _report_once(professional: Professional, org: Organization, kind: str, finess: str) -> None:
    key = f"psc:mismatch:{professional.pk}:{org.pk}:{kind}"
    if not cache.add(key, 1, timeout=MISMATCH_REPORT_SECONDS):
        return
    # The organisation's admins read their organisation's audit trail (GET /api/audit).
    audit.record(
        "accounts.psc_mismatch",
        obj=professional,
        organization=org,
        data={"kind": kind, "finess": finess, "rpps": professional.rpps},
    )


def report_mismatches(professional: Professional, exercices: list[dict[str, Any]]) -> list[str]:
    """Sites PSC lists where the platform has no membership, and practising memberships PSC does
    not confirm. Returns the FINESS concerned (the display marks them)."""
    asserted = {s["finess"] for e in exercices for s in e["sites"]}
    asserted |= {s["finess_ej"] for e in exercices for s in e["sites"] if s["finess_ej"]}
    memberships = Membership.objects.filter(professional=professional).select_related(
        "organization", "organization__legal_entity"
    )
    member_of = {m.organization.finess for m in memberships}
    flagged = []
    for org in Organization.objects.filter(finess__in=asserted - member_of):
        _report_once(professional, org, "psc_site_without_membership", org.finess)
        flagged.append(org.finess)
    for m in memberships:
        if m.role not in PRACTISING_ROLES:
            continue
        org = m.organization
        legal = org.legal_entity.finess if org.legal_entity else None
        if org.finess not in asserted and legal not in asserted:
            _report_once(professional, org, "membership_not_in_psc", org.finess)
            flagged.append(org.finess)
    return flagged


def _refuse(code: str, data: dict[str, Any]) -> PscError:
    with transaction.atomic():
        audit.record("auth.psc_failed", data={"reason": code, **data})
    return PscError(code)


def sign_in(request: HttpRequest, userinfo: dict[str, Any], token: dict[str, Any]) -> User:
    rpps = rpps_of(userinfo)
    professional = Professional.objects.select_related("user").filter(rpps=rpps).first()
    if professional is None:
        raise _refuse("unknown_rpps", {"rpps": rpps})
    user = professional.user
    if not user.is_active or user.is_service:
        raise _refuse("account_disabled", {"user": str(user.pk)})
    exercices = exercices_of(userinfo)
    with transaction.atomic():
        if professional.psc_linked_at is None:
            professional.psc_linked_at = timezone.now()
            professional.save(update_fields=["psc_linked_at"])
            audit.record("auth.psc_linked", actor=user, obj=professional, data={"rpps": rpps})
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        user.otp_device = None  # type: ignore[attr-defined]
        user.is_verified = functools.partial(otp_is_verified, user)  # type: ignore[attr-defined]
        flagged = report_mismatches(professional, exercices)
        request.session[tokens.PSC_SESSION] = True
        request.session[tokens.EXERCICES] = {"exercices": exercices, "mismatches": flagged}
        audit.record("auth.login", actor=user, obj=user, data={"method": "psc"})
    tokens.store(user, token)
    return user
