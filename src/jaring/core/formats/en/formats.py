"""The English UI writes days and moments in the same order as the Indonesian one
(see ``jaring.core.formats.id.formats``), so a printout reads the same in either language."""

from jaring.core.formats.id.formats import DATE_FORMAT, DATETIME_FORMAT, SHORT_DATETIME_FORMAT

__all__ = ["DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATETIME_FORMAT"]
