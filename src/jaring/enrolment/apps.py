from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrolmentConfig(AppConfig):
    name = "jaring.enrolment"
    verbose_name = _("Targeting and enrolment")

    def ready(self) -> None:
        from jaring.enrolment.services import end_enrolment_on_move
        from jaring.registry.signals import worker_moved

        worker_moved.connect(end_enrolment_on_move, dispatch_uid="enrolment.end_on_move")
