"""Pure rules of the federation: instance names and the month sets published to the hub."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PUBLICATION = "jaring_federation"


def checked_instance_name(name: str) -> str:
    """An instance name is also part of PostgreSQL object names: lower-case letters, digits, _."""
    if not INSTANCE_NAME.match(name or ""):
        raise ValidationError(
            _("An instance name is 1-40 lower-case letters, digits or _, starting with a letter."),
            code="instance_name",
        )
    return name


def doubles_publication(instance: str) -> str:
    """The hub's publication of the double payments that concern one instance."""
    return f"jaring_doubles_{checked_instance_name(instance)}"


def months_of(mask: int) -> list[int]:
    """The months (1-12) a month set names."""
    return [month for month in range(1, 13) if mask >> (month - 1) & 1]


def month_mask(months) -> int:
    """The month set of some months (1-12); the inverse of months_of."""
    mask = 0
    for month in months:
        if not 1 <= month <= 12:
            raise ValueError(f"month {month} is not 1-12")
        mask |= 1 << (month - 1)
    return mask
