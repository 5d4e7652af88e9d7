from __future__ import annotations

from django.urls import URLPattern, path

from backend.mssante import views
from backend.mssante.inbox import views as inbox

urlpatterns: list[URLPattern] = [
    path("mssante/mailboxes", inbox.MailboxListView.as_view(), name="mssante-mailboxes"),
    path(
        "mssante/mailboxes/<str:mailbox_id>/inbox",
        inbox.InboxListView.as_view(),
        name="mssante-inbox",
    ),
    path(
        "mssante/inbox/<str:message_id>", inbox.InboxDetailView.as_view(), name="mssante-inbox-mail"
    ),
    path(
        "mssante/inbox/<str:message_id>/parts/<int:index>",
        inbox.InboxPartView.as_view(),
        name="mssante-inbox-part",
    ),
    path(
        "mssante/inbox/<str:message_id>/state",
        inbox.InboxStateView.as_view(),
        name="mssante-inbox-state",
    ),
    path(
        "mssante/inbox/<str:message_id>/reply",
        inbox.InboxReplyView.as_view(),
        name="mssante-inbox-reply",
    ),
    path(
        "mssante/inbox/<str:message_id>/file",
        inbox.InboxFileView.as_view(),
        name="mssante-inbox-file",
    ),
    path("mssante/settings", inbox.MailSettingsView.as_view(), name="mssante-settings"),
    path("mssante/check-address", views.CheckAddressView.as_view(), name="mssante-check-address"),
    path("mssante/messages", views.MessageListView.as_view(), name="mssante-messages"),
    path(
        "mssante/messages/<str:message_id>",
        views.MessageDetailView.as_view(),
        name="mssante-message",
    ),
]
