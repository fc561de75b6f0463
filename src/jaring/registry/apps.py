from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "jaring.registry"
    verbose_name = _("Worker registry")

    def ready(self):
        from jaring.accounts.signals import objects_named, read_objects
        from jaring.registry.selectors import read_workers, workers_named

        read_objects.connect(read_workers, dispatch_uid="registry.read_objects")
        objects_named.connect(workers_named, dispatch_uid="registry.objects_named")
