"""URL map. API paths follow the published contract (/api/schema/): add, never break."""

from __future__ import annotations

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend import health, spa
from backend.accounts import views as accounts
from backend.accounts.psc import views as psc_views
from backend.api import errors_views, schema_auth  # noqa: F401 - the auth schemes
from backend.audit import views as audit
from backend.patients import views as patients

api: list[URLPattern | URLResolver] = [
    path("auth/csrf", accounts.CsrfView.as_view(), name="auth-csrf"),
    path("auth/login", accounts.LoginView.as_view(), name="auth-login"),
    path("auth/logout", accounts.LogoutView.as_view(), name="auth-logout"),
    path("auth/totp/setup", accounts.TotpSetupView.as_view(), name="auth-totp-setup"),
    path("auth/totp/confirm", accounts.TotpConfirmView.as_view(), name="auth-totp-confirm"),
    path("auth/password", accounts.PasswordChangeView.as_view(), name="auth-password"),
    path("auth/methods", accounts.SignInMethodsView.as_view(), name="auth-methods"),
    path("me", accounts.MeView.as_view(), name="me"),
    path("patients/ins-check", patients.InsCheckView.as_view(), name="patients-ins-check"),
    path("patients", patients.PatientListView.as_view(), name="patients"),
    path("patients/<uuid:patient_id>", patients.PatientDetailView.as_view(), name="patient"),
    path(
        "patients/<uuid:patient_id>/identity-verifications",
        patients.IdentityVerificationView.as_view(),
        name="patients-identity-verifications",
    ),
    path(
        "patients/<uuid:patient_id>/same-person",
        patients.SamePersonView.as_view(),
        name="patients-same-person",
    ),
    path("audit", audit.AuditListView.as_view(), name="audit"),
    path("audit/journal/patients", audit.JournalPatientsView.as_view()),
    path("audit/journal/events", audit.JournalEventsView.as_view()),
    path("audit/journal/events.csv", audit.JournalCsvView.as_view()),
    path("audit/messages/<str:message_id>/versions", audit.MessageVersionsView.as_view()),
    path("", include("backend.directory.urls")),
    path("", include("backend.mssante.urls")),
    path("", include("conversations.urls")),
    path("", include("teleexpertise.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file: the page runs under the strict CSP.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^.*$", errors_views.api_not_found),
]

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("auth/psc/start", psc_views.start, name="psc-start"),
    path("auth/psc/callback", psc_views.callback, name="psc-callback"),
    path("auth/psc/logged-out", psc_views.logged_out, name="psc-logged-out"),
    path("api/", include(api)),
    # Everything else is the web client (client-side routing).
    re_path(r"^(?!static/|ws/|auth/).*$", spa.index, name="spa"),
]

handler400 = "backend.api.errors_views.bad_request"
handler404 = "backend.api.errors_views.page_not_found"
handler500 = "backend.api.errors_views.server_error"
