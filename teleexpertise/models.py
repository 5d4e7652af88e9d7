"""Teleexpertise: expert profiles, requests with their consent and report, acts and tariffs.

State changes only through ``teleexpertise/actions.py`` (and ``billing.py`` for act review).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExpertProfile(models.Model):
    """What an expert publishes in the directory; absent until they publish (defaults apply)."""

    professional = models.OneToOneField(
        "accounts.Professional", on_delete=models.CASCADE, related_name="expert_profile"
    )
    specialty = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    # "Documents prérequis": what the requester should attach (ECG, photos, bilan...).
    prerequisites = models.TextField(blank=True)
    accepting = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profil expert {self.professional_id}"


class TeleexpertiseRequest(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Soumise"
        ACCEPTED = "accepted", "Acceptée"
        DECLINED = "declined", "Refusée"
        ANSWERED = "answered", "Répondue"
        FILED = "filed", "Classée"
        CLOSED = "closed", "Clôturée"

    class Urgency(models.TextChoices):
        NORMAL = "normal", "Normale"
        URGENT = "urgent", "Urgente"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="te_requests_sent"
    )
    # Null while a request addressed to a team mailbox waits for one of its experts to take it.
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="te_requests_received",
    )
    # A specialty team (an ORG mailbox of the hospital): its members and secretariat see the
    # request, one of its experts takes it.
    team_mailbox = models.ForeignKey(
        "accounts.Mailbox",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="te_requests",
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="te_requests"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.PROTECT, related_name="+"
    )
    specialty = models.CharField(max_length=100, blank=True)
    question = models.TextField()
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    decline_reason = models.TextField(blank=True)
    closed_reason = models.CharField(max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    filed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Set once when both sides were told the answer is late, so the task never repeats it.
    overdue_flagged_at = models.DateTimeField(null=True, blank=True)
    # Acts not declared at filing, each with its own reason: [{code, reason, message}].
    act_refusals = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="te_request_status_created")]
        constraints = [
            models.CheckConstraint(
                name="te_request_has_expert_or_team",
                condition=Q(expert__isnull=False) | Q(team_mailbox__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"Téléexpertise {self.reference}"


class Consent(models.Model):
    """The patient's consent, recorded before the request exists (teleexpertise rule)."""

    class Method(models.TextChoices):
        ORAL = "oral", "Oral"
        WRITTEN = "written", "Écrit"

    class Consenter(models.TextChoices):
        PATIENT = "patient", "Le patient"
        REPRESENTATIVE = "representative", "Son représentant légal"

    class Quality(models.TextChoices):
        PARENT = "parent", "Titulaire de l'autorité parentale"
        GUARDIAN = "guardian", "Tuteur"
        FAMILY = "family", "Personne habilitée (habilitation familiale)"
        CURATOR = "curator", "Curateur"

    request = models.OneToOneField(
        TeleexpertiseRequest, on_delete=models.CASCADE, related_name="consent"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    collected_at = models.DateTimeField()
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    patient_informed = models.BooleanField(default=True)
    # Who consented: the patient, or for a minor or a protected adult the legal representative.
    consenter = models.CharField(
        max_length=16, choices=Consenter.choices, default=Consenter.PATIENT
    )
    representative_name = models.CharField(max_length=200, blank=True)
    representative_quality = models.CharField(max_length=16, choices=Quality.choices, blank=True)
    # The scanned written consent, shared in the request's conversation.
    document = models.ForeignKey(
        "conversations.Attachment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="te_consent_written_has_document",
                condition=~Q(method="written") | Q(document__isnull=False),
            ),
            models.CheckConstraint(
                name="te_consent_representative_named",
                condition=Q(consenter="patient")
                | (~Q(representative_name="") & ~Q(representative_quality="")),
            ),
        ]

    def __str__(self) -> str:
        return f"Consentement {self.request_id}"


class Report(models.Model):
    """The expert's structured report; the PDF is frozen when the request is filed."""

    request = models.OneToOneField(
        TeleexpertiseRequest, on_delete=models.CASCADE, related_name="report"
    )
    context = models.TextField()
    answer = models.TextField()
    conclusion = models.TextField()
    recommendations = models.TextField(blank=True)
    written_at = models.DateTimeField()
    # The DMP visibility the expert chose at filing (see teleexpertise.filing.VISIBILITIES).
    dmp_visibility = models.CharField(max_length=32, blank=True)
    pdf = models.BinaryField(null=True, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Compte rendu {self.request_id}"


class Tariff(models.Model):
    """Dated tariff table: the amount of a code in force from ``valid_from`` (Assurance Maladie)."""

    code = models.CharField(max_length=8)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    valid_from = models.DateField()

    class Meta:
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="te_tariff_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.amount} EUR depuis {self.valid_from}"


class Act(models.Model):
    """A declared billable act. The yearly quota is held by (key, year, slot) uniqueness: two
    concurrent declarations can never both take the last slot."""

    class Code(models.TextChoices):
        TE2 = "TE2", "TE2 — téléexpertise (expert)"
        RQD = "RQD", "RQD — demande de téléexpertise (requérant)"

    class Status(models.TextChoices):
        DECLARED = "declared", "Déclaré"
        TRANSMITTED = "transmitted", "Transmis"
        PAID = "paid", "Payé"
        REJECTED = "rejected", "Rejeté"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=8, choices=Code.choices)
    request = models.ForeignKey(TeleexpertiseRequest, on_delete=models.PROTECT, related_name="acts")
    professional = models.ForeignKey(
        "accounts.Professional", on_delete=models.PROTECT, related_name="te_acts"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    # The INS when qualified (one patient across organisations), else "patient:<uuid>".
    patient_key = models.CharField(max_length=60)
    act_date = models.DateField()
    year = models.PositiveSmallIntegerField()
    slot = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    # Snapshots at declaration: billing needs what was true on the act date.
    am_number = models.CharField(max_length=9, blank=True)
    prescriber_am_number = models.CharField(max_length=9, blank=True)
    request_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DECLARED)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-act_date", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["professional", "patient_key", "code", "year", "slot"],
                name="te_act_quota_slot",
            ),
            models.UniqueConstraint(fields=["request", "code"], name="te_act_once_per_request"),
            models.CheckConstraint(name="te_act_slot_positive", condition=Q(slot__gte=1)),
        ]
        indexes = [models.Index(fields=["act_date", "code"], name="te_act_date_code")]

    def __str__(self) -> str:
        return f"Acte {self.code} {self.id}"
