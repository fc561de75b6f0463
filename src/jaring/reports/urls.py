from django.urls import path

from jaring.reports import citizen, views

app_name = "reports"
urlpatterns = [
    path("laporan/", views.index, name="index"),
    path("laporan/perkiraan-angkatan-kerja/", views.estimates, name="estimates"),
    path("laporan/perkiraan-angkatan-kerja/<int:pk>/", views.estimate_edit, name="estimate_edit"),
    path("laporan/<str:code>/", views.dashboard, name="dashboard"),
    path("laporan/<str:code>/bulanan.pdf", views.monthly_pdf, name="monthly_pdf"),
    path("laporan/<str:code>/perkiraan/", views.estimate, name="estimate"),
    path("nasional/", views.national, name="national"),
    path("publik/", views.public, name="public"),
    path("cek-kepesertaan/", citizen.coverage_check, name="coverage_check"),
    path("publik/<str:code>/", views.public, name="public_region"),
]
