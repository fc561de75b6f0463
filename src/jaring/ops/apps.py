from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Jaring on a server: health, metrics, the worker's heartbeat, backups, upgrades.

    Sits above every domain app (it reads their tables to verify a restore) and below the demo.
    """

    name = "jaring.ops"
    label = "ops"
    verbose_name = "Operasi"
