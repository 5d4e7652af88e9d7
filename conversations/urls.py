from __future__ import annotations

from django.urls import path

from conversations import views

urlpatterns = [
    path("conversations", views.ConversationListView.as_view(), name="conversations"),
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
        "conversations/<str:conversation_id>/read",
        views.ReadView.as_view(),
        name="conversation-read",
    ),
    path(
        "conversations/<str:conversation_id>/participants",
        views.ParticipantsView.as_view(),
        name="conversation-participants",
    ),
    path(
        "conversations/<str:conversation_id>/participants/<str:user_id>",
        views.ParticipantDetailView.as_view(),
        name="conversation-participant",
    ),
    path("attachments", views.AttachmentUploadView.as_view(), name="attachments"),
    path(
        "attachments/<str:attachment_id>/download",
        views.AttachmentDownloadView.as_view(),
        name="attachment-download",
    ),
]
