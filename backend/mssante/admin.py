"""Admin: follow the outbox and the allow-list; the MIME (health content) is never displayed."""

from __future__ import annotations

from django.contrib import admin

from backend.mssante.models import OutboundMessage, OutboundRecipient, TrustedDomain


class OutboundRecipientInline(admin.TabularInline):
    model = OutboundRecipient
    extra = 0
    can_delete = False
    fields = ("position", "address", "kind", "status", "reason", "sent_at", "read_at")
    readonly_fields = fields

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "sender_address", "status", "attempts", "created_at"]
    list_filter = ["status", "health_document"]
    search_fields = ["id", "message_id", "sender_address"]
    fields = (
        "id",
        "sender_mailbox",
        "sender_address",
        "created_by",
        "created_at",
        "message_id",
        "patient_id",
        "health_document",
        "close_exchange",
        "read_receipt",
        "related_type",
        "related_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
    )
    readonly_fields = fields
    inlines = [OutboundRecipientInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(TrustedDomain)
class TrustedDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "imported_at"]
    search_fields = ["domain"]
    readonly_fields = ["domain", "imported_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
