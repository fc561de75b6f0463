"""Cek kepesertaan: a citizen, without an account, asks whether BPJS Ketenagakerjaan protects
them today. NIK and birth date go by POST only (never in a URL), each address may ask a few
times an hour, and the log keeps the NIK's blind index, never the NIK."""

import logging

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jaring.core.crypto import nik_index
from jaring.core.throttle import allow, client_address
from jaring.finance.forms import CoverageCheckForm
from jaring.finance.selectors import citizen_protection
from jaring.reports.services import report_date

# A family checks its members; a village office shares one address. More than this from one
# address within the hour is someone trying NIKs.
CHECKS_PER_HOUR = 10
logger = logging.getLogger("jaring.citizen")


@never_cache
@require_http_methods(["GET", "POST"])
def coverage_check(request):
    form, answer, limited = CoverageCheckForm(request.POST or None), None, False
    if request.method == "POST":
        address = client_address(request)
        limited = not allow(f"coverage-check:{address}", CHECKS_PER_HOUR, 3600)
        outcome, index = ("limited" if limited else "invalid"), ""
        if not limited and form.is_valid():
            nik = form.cleaned_data["nik"]
            answer = citizen_protection(nik, form.cleaned_data["birth_date"], report_date())
            # Not found and not protected are one outcome here too.
            outcome = "protected" if answer.protected else "not_protected"
            index = nik_index(nik)
            form = CoverageCheckForm()  # the page does not show the NIK back
        # The NIK's blind index (as Worker.nik_index), never the NIK: an auditor can find the
        # checks of one NIK, a reader of the log cannot learn one.
        logger.info("coverage check: outcome=%s nik_index=%s address=%s", outcome, index, address)
    return render(
        request,
        "reports/coverage_check.html",
        {"form": form, "answer": answer, "limited": limited, "per_hour": CHECKS_PER_HOUR},
        status=429 if limited else 200,
    )
