"""``{% rules_used refs %}``: the rules an evaluation used, by name and source, never by key."""

from django import template

from jaring.programs.names import rule_name, shown

register = template.Library()


@register.inclusion_tag("programs/_rules_used.html")
def rules_used(refs):
    return {"rules": [shown(ref) for ref in dict.fromkeys(refs or ())]}


@register.filter(name="rule_name")
def rule_name_filter(key: str) -> str:
    return rule_name(key)
