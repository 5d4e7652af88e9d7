from django.contrib import admin

from backend.patients.models import Patient


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    list_display = ("birth_name", "birth_date", "sex", "identity_status", "organization")
    list_filter = ("identity_status", "organization")
    search_fields = ("ins", "birth_name")
