from django.urls import path

from jaring.finance import views
from jaring.finance.reconciliation import views as reconciliation

app_name = "finance"
urlpatterns = [
    path("", views.budget, name="budget"),
    path("pagu/", views.allocate, name="allocate"),
    path("rencana/baru/", views.plan_new, name="plan_new"),
    path("rencana/<int:pk>/", views.plan_detail, name="plan"),
    path("rencana/<int:pk>/tetapkan/", views.plan_commit, name="plan_commit"),
    path("tagihan/", views.invoices, name="invoices"),
    path("tagihan/<int:pk>/", views.invoice_detail, name="invoice"),
    path("rekonsiliasi/", reconciliation.statements, name="reconciliations"),
    path("rekonsiliasi/<int:pk>/", reconciliation.statement_detail, name="reconciliation"),
    path("rekonsiliasi/<int:pk>/tindakan/", reconciliation.decide, name="reconciliation_decide"),
    path("sumber-dana/", views.funding_sources, name="funding_sources"),
    path("sumber-dana/<int:pk>/", views.funding_source, name="funding_source"),
]
