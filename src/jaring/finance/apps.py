from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "jaring.finance"
    verbose_name = _("Budget and contributions")

    def ready(self) -> None:
        from jaring.enrolment.signals import enrolment_ended
        from jaring.finance.services import credit_months_not_owed
        from jaring.finance.views import worker_coverage_section
        from jaring.registry.signals import worker_page_sections

        worker_page_sections.connect(worker_coverage_section, dispatch_uid="finance.coverage")
        enrolment_ended.connect(credit_months_not_owed, dispatch_uid="finance.credit")
