from django.contrib import admin
from django.urls import include, path

from jaring.accounts import views as account_views
from jaring.api import views as api_views
from jaring.api.api import api

urlpatterns = [
    path("", include("jaring.ops.urls")),
    path("", account_views.home, name="home"),
    # The token page sits with the other account pages but belongs to the API app.
    path("akun/token-api/", api_views.api_tokens, name="api_tokens"),
    path("akun/", include("jaring.accounts.urls")),
    path("wilayah/", include("jaring.regions.urls")),
    path("pekerja/", include("jaring.registry.urls")),
    path("anggaran/", include("jaring.finance.urls")),
    path("kepesertaan/", include("jaring.enrolment.urls")),
    path("klaim/", include("jaring.claims.urls")),
    path("referensi/", include("jaring.reference.urls")),
    path("", include("jaring.reports.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
