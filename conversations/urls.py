from __future__ import annotations

from django.urls import path

from conversations import message_views, views
from conversations.calls import views as calls_views
from conversations.groups import views as groups_views
from conversations.push import views as push_views
from conversations.search import views as search_views
from conversations.syntheses import views as exports_views

urlpatterns = [
    path("conversations", views.ConversationListView.as_view(), name="conversations"),
    path("messages/search", search_views.MessageSearchView.as_view(), name="messages-search"),
    path(
        "conversations/<str:conversation_id>",
        views.ConversationDetailView.as_view(),
        name="conversation",
    ),
    path(
        "conversations/<str:conversation_id>/messages",
        views.MessageListView.as_view(),
        name="conversation-messages",
    ),
    path(
        "conversations/<str:conversation_id>/messages/<str:message_id>",
        views.MessageDetailView.as_view(),
        name="conversation-message",
    ),
    path(
        "conversations/<str:conversation_id>/messages/<str:message_id>/acknowledge",
        message_views.AcknowledgeView.as_view(),
        name="conversation-message-acknowledge",
    ),
    path(
        "conversations/<str:conversation_id>/messages/<str:message_id>/forward",
        message_views.ForwardView.as_view(),
        name="conversation-message-forward",
    ),
    path(
        "conversations/<str:conversation_id>/messages/<str:message_id>/forward-mssante",
        message_views.ForwardMssanteView.as_view(),
        name="conversation-message-forward-mssante",
    ),
    path(
        "conversations/<str:conversation_id>/read",
        views.ReadView.as_view(),
        name="conversation-read",
    ),
    path(
        "conversations/<str:conversation_id>/participants",
        groups_views.ParticipantsView.as_view(),
        name="conversation-participants",
    ),
    path(
        "conversations/<str:conversation_id>/participants/<str:user_id>",
        groups_views.ParticipantDetailView.as_view(),
        name="conversation-participant",
    ),
    path(
        "conversations/<str:conversation_id>/patient",
        groups_views.PatientView.as_view(),
        name="conversation-patient",
    ),
    path(
        "conversations/<str:conversation_id>/preferences",
        groups_views.PreferencesView.as_view(),
        name="conversation-preferences",
    ),
    path("attachments", views.AttachmentUploadView.as_view(), name="attachments"),
    path(
        "attachments/<str:attachment_id>/download",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
]

urlpatterns += [
    path("calls/ice-servers", calls_views.IceServersView.as_view(), name="call-ice-servers"),
    path("calls/echo", calls_views.echo_view, name="call-echo"),
    path(
        "conversations/<str:conversation_id>/calls",
        calls_views.CallLogView.as_view(),
        name="conversation-calls",
    ),
]

# Conversation syntheses (PDF) and their MSSanté sending.
urlpatterns += [
    path(
        "conversations/<str:conversation_id>/synthesis",
        exports_views.SynthesisView.as_view(),
        name="conversation-synthesis",
    ),
    path("exports/<str:export_id>", exports_views.ExportDetailView.as_view(), name="export"),
    path(
        "exports/<str:export_id>/download",
        exports_views.ExportDownloadView.as_view(),
        name="export-download",
    ),
    path(
        "exports/<str:export_id>/send",
        exports_views.ExportSendView.as_view(),
        name="export-send",
    ),
]

# Web Push: the server's key and the user's browser subscriptions.
urlpatterns += [
    path("push/config", push_views.PushConfigView.as_view(), name="push-config"),
    path(
        "push/subscriptions",
        push_views.PushSubscriptionListView.as_view(),
        name="push-subscriptions",
    ),
    path(
        "push/subscriptions/<str:subscription_id>",
        push_views.PushSubscriptionDetailView.as_view(),
        name="push-subscription",
    ),
]
