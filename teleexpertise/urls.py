from __future__ import annotations

from django.urls import URLPattern, path

from teleexpertise import billing_views, views, work_views

R = "teleexpertise/requests/<str:request_id>"

urlpatterns: list[URLPattern] = [
    path("teleexpertise/requests", views.RequestListView.as_view()),
    path("teleexpertise/requests/pending", work_views.PendingCountView.as_view()),
    path(R, views.RequestDetailView.as_view()),
    path(f"{R}/accept", views.AcceptView.as_view()),
    path(f"{R}/decline", views.DeclineView.as_view()),
    path(f"{R}/report", views.ReportView.as_view()),
    path(f"{R}/report.pdf", views.ReportPdfView.as_view()),
    path(f"{R}/file", views.FileView.as_view()),
    path(f"{R}/filing", work_views.FilingPreviewView.as_view()),
    path(f"{R}/take", work_views.TakeView.as_view()),
    path(f"{R}/close", views.CloseView.as_view()),
    path(f"{R}/consent/withdraw", views.ConsentWithdrawView.as_view()),
    path("teleexpertise/experts", views.ExpertListView.as_view()),
    path("teleexpertise/experts/me", views.MyExpertProfileView.as_view()),
    path("billing/acts", billing_views.ActListView.as_view()),
    path("billing/acts.csv", billing_views.ActCsvView.as_view()),
    path("billing/acts.xlsx", billing_views.ActXlsxView.as_view()),
    path("billing/acts/transition", billing_views.ActBulkTransitionView.as_view()),
    path("billing/acts/<str:act_id>/transition", billing_views.ActTransitionView.as_view()),
    path("billing/my-acts", billing_views.MyActListView.as_view()),
    path("billing/my-acts.csv", billing_views.MyActExportView.as_view(), {"kind": "csv"}),
    path("billing/my-acts.xlsx", billing_views.MyActExportView.as_view(), {"kind": "xlsx"}),
]
