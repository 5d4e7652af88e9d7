from __future__ import annotations

from django.urls import URLPattern, path

from backend.directory import views

urlpatterns: list[URLPattern] = [
    path("directory", views.DirectoryView.as_view(), name="directory"),
    path("directory/mailboxes", views.ManagedMailboxesView.as_view(), name="directory-mailboxes"),
    path(
        "directory/mailboxes/<str:address>/visibility",
        views.MailboxVisibilityView.as_view(),
        name="directory-mailbox-visibility",
    ),
]
