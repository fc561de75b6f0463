from django.urls import path

from jaring.enrolment import views

app_name = "enrolment"
urlpatterns = [
    path("", views.submissions, name="submissions"),
    path("buat/", views.submission_create, name="submission_create"),
    path("<int:pk>/berkas.xlsx", views.submission_download, name="submission_download"),
    path("<int:pk>/balasan/", views.submission_reply, name="submission_reply"),
    path("format-cabang/", views.branch_formats, name="branch_formats"),
    path("format-cabang/<int:pk>/", views.branch_format, name="branch_format"),
]
