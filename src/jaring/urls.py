from django.contrib import admin
from django.urls import include, path

from jaring.api.api import api

urlpatterns = [
    path("", include("jaring.core.urls")),
    path("akun/", include("jaring.accounts.urls")),
    path("wilayah/", include("jaring.regions.urls")),
    path("pekerja/", include("jaring.registry.urls")),
    path("anggaran/", include("jaring.finance.urls")),
    path("kepesertaan/", include("jaring.enrolment.urls")),
    path("klaim/", include("jaring.claims.urls")),
    path("", include("jaring.reports.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
