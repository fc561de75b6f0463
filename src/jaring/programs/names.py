"""What each rule of ``data/rules.toml`` is called on a screen: people read the rule's name and
its legal source, never its key (``contribution.jkk.rate@2015-07-01``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from jaring.programs.rulebook import RuleBook, default_rulebook

RULE_NAMES = {
    "claims.documents": _("Documents a claim needs"),
    "contribution.relief.non_transport": _("Contribution relief for non-transport BPU workers"),
    "jkm.early_death_bpu": _("Reduced JKM in the first months of membership"),
    "scholarship.deferred_entitlement": _("Scholarship kept for a child not yet at school"),
    "claims.service_level": _("Claim service level"),
    "contribution.arrears": _("Unpaid months before protection stops"),
    "contribution.billing": _("Billing of contributions"),
    "contribution.declared_income": _("Declared income brackets"),
    "contribution.jht.rate": _("JHT contribution rate"),
    "contribution.jkk.rate": _("JKK contribution rate"),
    "contribution.jkm.amount": _("JKM contribution"),
    "contribution.payment": _("Contribution due date and advance payment"),
    "contribution.relief": _("Contribution relief (PP 50/2025)"),
    "contribution.settled_after_event": _("Arrears settled after the event"),
    "enrolment.age_limits": _("Participant age limits"),
    "heirs.priority": _("Order of heirs"),
    "jkk.accident_report": _("Work accident report deadline (stage I)"),
    "jkk.bpjs_ruling": _("BPJS ruling on a suspected work accident"),
    "jkk.claim_deadline_years": _("JKK claim deadline"),
    "jkk.death": _("JKK death benefit"),
    "jkk.home_care_cap": _("JKK home care limit"),
    "jkk.partial_disability": _("JKK partial disability benefit"),
    "jkk.scholarship": _("JKK scholarship"),
    "jkk.temporary_incapacity": _("JKK temporary incapacity benefit"),
    "jkk.total_disability": _("JKK total disability benefit"),
    "jkm.claim_deadline_years": _("JKM claim deadline"),
    "jkm.death": _("JKM death benefit"),
    "jkm.scholarship": _("JKM scholarship"),
    "membership.reactivation": _("Reactivation after arrears"),
}


@dataclass(frozen=True)
class RuleShown:
    """A rule as a person reads it: its name, its legal source and the day it took effect."""

    name: str
    source: str
    effective_from: datetime.date | None


def rule_name(key: str) -> str:
    """The rule's name; a key without one (a rule added to the data, not yet named) is shown
    as its last words rather than as a code."""
    return RULE_NAMES.get(key) or key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def shown(ref: str, book: RuleBook | None = None) -> RuleShown:
    """``contribution.jkk.rate@2015-07-01`` → JKK contribution rate, PP 44/2015 …, 1 July 2015."""
    book = book or default_rulebook()
    key, _at, start = ref.partition("@")
    effective_from = datetime.date.fromisoformat(start) if start else None
    version = next(
        (v for v in book.versions if v.key == key and v.effective_from == effective_from), None
    )
    return RuleShown(rule_name(key), version.source if version else "", effective_from)
