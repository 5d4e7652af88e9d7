from __future__ import annotations

from django.urls import URLPattern, path

from backend.mssante import views

urlpatterns: list[URLPattern] = [
    path("mssante/check-address", views.CheckAddressView.as_view(), name="mssante-check-address"),
    path("mssante/messages", views.MessageListView.as_view(), name="mssante-messages"),
    path(
        "mssante/messages/<str:message_id>",
        views.MessageDetailView.as_view(),
        name="mssante-message",
    ),
]
