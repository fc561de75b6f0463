"""Jaring's one style per kind of date, and Indonesian digit grouping, for every template that
prints a value through Django's localisation (``{{ day|date }}``, a form's initial value,
``{{ stamp|date:"DATETIME_FORMAT" }}``): a day is ``22 September 2025``
(``core.formatting.tanggal``), a moment ``22-09-2025 10:30`` (``core.formatting.waktu``).
Django's own Indonesian module writes ``22 Sep 2025, 10.30``."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "d-m-Y H:i"
SHORT_DATETIME_FORMAT = "d-m-Y H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
