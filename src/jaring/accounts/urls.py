from django.contrib.auth import views as auth_views
from django.urls import path

from jaring.accounts import views

urlpatterns = [
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("masuk/kode/", views.login_code, name="login_code"),
    path("dua-langkah/", views.second_factor, name="second_factor"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("log-akses/", views.access_log, name="access_log"),
]
