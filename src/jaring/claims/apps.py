from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "jaring.claims"
    verbose_name = _("Claims")

    def ready(self):
        from jaring.accounts.signals import home_sections, objects_named, read_objects
        from jaring.claims.selectors import claims_named, read_claims
        from jaring.claims.views import home_section

        home_sections.connect(home_section, dispatch_uid="claims.home")
        read_objects.connect(read_claims, dispatch_uid="claims.read_objects")
        objects_named.connect(claims_named, dispatch_uid="claims.objects_named")
