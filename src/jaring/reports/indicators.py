"""Every figure the dashboards, the public and national pages and the monthly report show,
defined once: its name, what it means and how it is computed.

A page names an indicator by its key (``{% indicator "covered" %}``); the name carries its
definition on hover and for screen readers, and the page's definitions list (and the monthly
PDF) prints the same words, so a Bupati, a journalist and an auditor read one meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Indicator:
    key: str
    name: Promise
    definition: Promise
    formula: Promise


INDICATORS = {
    indicator.key: indicator
    for indicator in (
        Indicator(
            "registered",
            _("Workers registered"),
            _("Living vulnerable workers the Pemda has registered in Jaring."),
            _("count of active workers in the registry"),
        ),
        Indicator(
            "covered",
            _("Workers protected"),
            _(
                "Registered workers whom BPJS Ketenagakerjaan protects on the day shown: enrolled, "
                "with a KPJ number, and their contributions paid within the tolerated arrears."
            ),
            _("count of workers protected on the day shown"),
        ),
        Indicator(
            "coverage_of_workforce",
            _("Share of the informal workforce protected"),
            _(
                "The headline figure: protected workers as a share of the estimated informal "
                "workforce of the region. A kecamatan or village without its own estimate gets "
                "its kabupaten's estimate in proportion to the workers registered there."
            ),
            _("workers protected ÷ informal workforce estimate × 100"),
        ),
        Indicator(
            "coverage_of_registered",
            _("Share of registered workers protected"),
            _("Protected workers as a share of the workers registered in Jaring."),
            _("workers protected ÷ workers registered × 100"),
        ),
        Indicator(
            "lapsed",
            _("Lapsed (arrears)"),
            _(
                "Enrolled, but more months unpaid than BPJS tolerates: not protected until the "
                "arrears are paid."
            ),
            _("count of enrolled workers with an open lapse"),
        ),
        Indicator(
            "families_paid",
            _("Families paid"),
            _("Claims (JKK or JKM) whose benefit BPJS Ketenagakerjaan has paid to the family."),
            _("count of claims paid"),
        ),
        Indicator(
            "benefits_paid",
            _("Benefits paid"),
            _("Money BPJS Ketenagakerjaan paid to families on those claims."),
            _("sum of the benefit BPJS paid per paid claim"),
        ),
        Indicator(
            "absorption",
            _("Budget used"),
            _("Contributions the Pemda paid to BPJS this year, as a share of its budget for it."),
            _("contributions paid ÷ budget allocated × 100"),
        ),
        Indicator(
            "paid_per_covered",
            _("Paid to BPJS per protected worker"),
            _("Contributions paid this year divided by the workers protected today."),
            _("contributions paid ÷ workers protected"),
        ),
        Indicator(
            "average_pay_days",
            _("Average working days from report to BPJS payment"),
            _(
                "From the day the BPJS branch received the complete claim file to the day BPJS "
                "paid the benefit, in working days (weekends and holidays not counted), averaged "
                "over the paid claims: the same clock as the service level on the claim page."
            ),
            _("sum of working days from BPJS receipt to payment ÷ claims paid"),
        ),
    )
}

# What an anonymous visitor reads: the public and the public national pages.
PUBLIC = ("covered", "coverage_of_workforce", "families_paid", "benefits_paid", "absorption")
