from django.urls import path

from jaring.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.worker_list, name="workers"),
    path("<int:pk>/", views.worker_detail, name="worker"),
    path("<int:pk>/ubah/", views.worker_edit, name="worker_edit"),
    path("baru/", views.worker_create, name="worker_create"),
    path("impor/", views.import_list, name="imports"),
    path("impor/templat.xlsx", views.import_template, name="import_template"),
    path("impor/<int:pk>/", views.import_detail, name="import_detail"),
    path("impor/<int:pk>/status/", views.import_status, name="import_status"),
    path("impor/<int:pk>/ulang/", views.import_rerun, name="import_rerun"),
    path("impor/<int:pk>/ditolak.xlsx", views.import_rejects, name="import_rejects"),
    path("duplikat/", views.duplicate_list, name="duplicates"),
    path("duplikat/<int:pk>/", views.duplicate_review, name="duplicate_review"),
    path("pindah/", views.transfer_list, name="transfers"),
    path("pindah/<int:pk>/", views.transfer_decide, name="transfer_decide"),
    path("pekerjaan/", views.occupations, name="occupations"),
    path("pekerjaan/<slug:code>/", views.occupation, name="occupation"),
]
