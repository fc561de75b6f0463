from django.urls import path

from jaring.core import views

urlpatterns = [path("", views.home, name="home")]
