"""Columns for free text that must never hold a NIK (error messages, notes from outside).

Whatever writes them — ``save()``, ``bulk_create``, ``update()`` — goes through
``get_db_prep_save``, which masks every NIK-like digit run (``core.masking.mask_personal``):
an exception text that quoted a row of the uploaded file cannot store the row's NIK. NUL
characters, which such a quote may carry and PostgreSQL cannot store, are dropped.
"""

from django.db import models

from jaring.core.masking import mask_personal


class _NikFree:
    def get_db_prep_save(self, value, connection):
        if isinstance(value, str):
            value = mask_personal(value).replace("\x00", "")
        return super().get_db_prep_save(value, connection)


class NikFreeTextField(_NikFree, models.TextField):
    pass


class NikFreeCharField(_NikFree, models.CharField):
    pass


def scrub_task_error(sender, instance, **kwargs) -> None:
    """``pre_save`` of the task results table (django-tasks-db): the stored traceback and
    exception of a failed background job are masked like the columns above."""
    for name in ("traceback", "exception_class_path"):
        value = getattr(instance, name, None)
        if isinstance(value, str):
            setattr(instance, name, mask_personal(value))
