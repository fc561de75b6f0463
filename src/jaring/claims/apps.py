from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "jaring.claims"
    verbose_name = _("Claims")

    def ready(self):
        from jaring.accounts.signals import home_sections
        from jaring.claims.views import home_section

        home_sections.connect(home_section, dispatch_uid="claims.home")
