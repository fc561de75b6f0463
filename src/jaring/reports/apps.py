from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jaring.reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from jaring.core.events import region_changed_signal
        from jaring.reports.tasks import queue_refresh

        region_changed_signal.connect(queue_refresh, dispatch_uid="reports.queue_refresh")
