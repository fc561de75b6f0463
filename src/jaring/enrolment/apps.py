from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrolmentConfig(AppConfig):
    name = "jaring.enrolment"
    verbose_name = _("Targeting and enrolment")
