from django.apps import AppConfig
from django.db.models.signals import pre_save
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "jaring.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from jaring.core import checks  # noqa: F401  (registers the system checks)
        from jaring.core.fields import scrub_task_error

        pre_save.connect(
            scrub_task_error, sender="django_tasks_database.DBTaskResult", dispatch_uid="scrub_task"
        )
