"""The admin app with our admin site (kept apart: this module is imported before the models)."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "backend.accounts.admin_site.LiaisonAdminSite"
