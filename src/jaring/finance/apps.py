from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "jaring.finance"
    verbose_name = _("Budget and contributions")
