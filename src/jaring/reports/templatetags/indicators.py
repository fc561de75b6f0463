"""``{% indicator "covered" %}``: an indicator's name with its definition on hover and for screen
readers; ``{% definitions %}``: the page's list of those definitions (reports.indicators)."""

from django import template
from django.utils.html import format_html

from jaring.reports.indicators import INDICATORS

register = template.Library()


@register.simple_tag
def indicator(key: str):
    """The name, described by the definition the page lists under ``#def-<key>``."""
    found = INDICATORS[key]
    return format_html(
        '<span class="indicator" title="{}" aria-describedby="def-{}">{}</span>',
        found.definition,
        key,
        found.name,
    )


@register.inclusion_tag("reports/_definitions.html")
def definitions(*keys: str, ids: bool = True):
    """Every indicator named (all of them when none is): name, definition, formula."""
    return {"indicators": [INDICATORS[key] for key in keys or INDICATORS], "ids": ids}
