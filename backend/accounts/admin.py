from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from backend.accounts.models import ApiToken, Mailbox, Membership, Organization, Professional, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "is_active", "is_service", "is_staff")
    list_filter = ("is_active", "is_service", "is_staff")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Plateforme", {"fields": ("is_service",)}))


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "finess", "kind", "city")
    list_filter = ("kind",)
    search_fields = ("name", "finess", "city")


@admin.register(Professional)
class ProfessionalAdmin(admin.ModelAdmin):
    list_display = ("family_name", "given_name", "profession_label", "specialty", "rpps")
    search_fields = ("family_name", "given_name", "rpps", "adeli")
    list_filter = ("profession_label", "is_expert")
    inlines = [MembershipInline]


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ("address", "kind", "display_name", "active", "hidden")
    list_filter = ("kind", "active", "hidden")
    search_fields = ("address", "display_name")
    filter_horizontal = ("members",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # Address and kind never change once the mailbox exists (MSSanté rule).
        return ("address", "kind") if obj is not None else ()


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash", "prefix", "created_at", "last_used_at")
