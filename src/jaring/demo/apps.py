from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo region (Kabupaten Bengkalis) built through every app's services: the top layer."""

    name = "jaring.demo"
    verbose_name = _("Demo")
