"""The navigation a user sees, from the capabilities of its roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import capabilities

# (label, url name, capability needed). Later domains add their own entries here.
NAVIGATION = [
    (_("Home"), "home", None),
    (_("Regions"), "regions:index", Capability.VIEW_REGIONS),
    (_("Workers"), "registry:workers", Capability.VIEW_REGISTRY),
    (_("Imports"), "registry:imports", Capability.MANAGE_REGISTRY),
    (_("Possible duplicates"), "registry:duplicates", Capability.MANAGE_REGISTRY),
    (_("Transfers"), "registry:transfers", Capability.VIEW_REGISTRY),
    (_("Dashboard"), "reports:index", Capability.VIEW_REPORTS),
    (_("Budget"), "finance:budget", Capability.VIEW_REPORTS),
    (_("BPJS submissions"), "enrolment:submissions", Capability.MANAGE_ENROLMENT),
    (_("Claims"), "claims:list", Capability.VIEW_REGISTRY),
    (_("Access log"), "access_log", Capability.VIEW_AUDIT_LOG),
    (_("Compare regions"), "reports:national", Capability.VIEW_REPORTS),
    (_("Reference data"), "reference:index", Capability.MANAGE_REFERENCE),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    granted = capabilities(user)
    items = [
        {"label": label, "url": reverse(url_name)}
        for label, url_name, needed in NAVIGATION
        if needed is None or needed in granted
    ]
    if user.is_staff:
        items.append({"label": _("Administration"), "url": reverse("admin:index")})
    return {"navigation": items}
