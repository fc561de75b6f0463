from django.urls import path

from jaring.reference import views

app_name = "reference"
urlpatterns = [
    path("", views.index, name="index"),
    path("kop-surat/", views.letterheads, name="letterheads"),
    path("kop-surat/<int:pk>/", views.letterhead, name="letterhead"),
    path("penanda-tangan/", views.signatories, name="signatories"),
    path("penanda-tangan/<int:pk>/", views.signatory, name="signatory"),
    path("plkk/", views.plkk_list, name="plkk_list"),
    path("plkk/<int:pk>/", views.plkk, name="plkk"),
    path("aturan/", views.rules_in_force, name="rules"),
]
