"""Lapse and reactivation: after more unpaid months than the arrears rule tolerates the monthly
run marks the participant lapsed (history, announced), paid arrears within the window
reactivate, after the window they do not; the run is idempotent, scheduled on the task worker
and shown on the budget page, the dashboard and the invoice Excel."""

import datetime
import io
import json
import re

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jaring.accounts.models import PersonalDataAccess
from jaring.enrolment.models import Enrolment
from jaring.finance import selectors as finance_selectors
from jaring.finance import services as finance_services
from jaring.finance import tasks as finance_tasks
from jaring.finance.models import CreditNote, Invoice, Lapse
from jaring.finance.protection import add_months, protected_on, tolerated_arrears
from jaring.programs.rulebook import default_rulebook
from jaring.regions.models import Region
from jaring.reports.models import RegionFact
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS
from tests.test_claims import RUSNI, build_coverage, worker

D = datetime.date


@pytest.fixture
def builder(make_user, occupations):
    return make_user("pembangun", is_superuser=True)


def region():
    return Region.objects.get(code=BENGKALIS)


def pay_months(builder, months, paid_on):
    for invoice in Invoice.objects.filter(month__in=months).order_by("month"):
        finance_services.record_payment(
            invoice, invoice.total, paid_on, f"SP2D/{invoice.month:%m}/late", builder
        )


def test_lapsed_after_the_rules_months_and_reactivated_when_the_arrears_are_paid(
    builder, tmp_path, django_capture_on_commit_callbacks
):
    build_coverage(builder, tmp_path, paid_months=8)  # paid through August 2025
    tolerated, _refs = tolerated_arrears(default_rulebook(), D(2025, 9, 1))
    assert tolerated == 3  # contribution.arrears, [check]: the test follows the rule's number
    first_inactive = add_months(D(2025, 9, 1), tolerated)  # September is the first unpaid month
    last_tolerated_day = first_inactive - datetime.timedelta(days=1)
    assert finance_services.mark_lapses(region(), last_tolerated_day).lapsed == 0
    assert protected_on(worker(RUSNI), last_tolerated_day).protected
    with django_capture_on_commit_callbacks() as announced:
        run = finance_services.mark_lapses(region(), first_inactive, builder)
    assert (run.lapsed, run.reactivated) == (3, 0) and announced
    assert not protected_on(worker(RUSNI), first_inactive).protected
    lapse = Lapse.objects.get(enrolment__worker=worker(RUSNI))
    assert (lapse.paid_through, lapse.lapsed_on, lapse.reactivated_on) == (
        D(2025, 8, 1),
        first_inactive,
        None,
    )
    assert lapse.history.get().history_change_reason == "Nonaktif: iuran menunggak"
    assert lapse.history.get().history_user == builder
    # Idempotent: a re-run finds nothing new.
    assert finance_services.mark_lapses(region(), first_inactive).lapsed == 0
    # The arrears paid within the window: protected again, reactivated, in the history.
    pay_months(builder, [D(2025, m, 1) for m in range(9, 13)], D(2025, 12, 10))
    run = finance_services.mark_lapses(region(), D(2025, 12, 15))
    assert (run.lapsed, run.reactivated) == (0, 3)
    lapse.refresh_from_db()
    assert lapse.reactivated_on == D(2025, 12, 15)
    assert [h.history_type for h in lapse.history.order_by("history_id")] == ["+", "~"]
    assert finance_services.mark_lapses(region(), D(2025, 12, 16)).reactivated == 0
    assert lapse.history.count() == 2


def test_past_the_window_the_membership_ends_and_late_money_does_not_reactivate(builder, tmp_path):
    build_coverage(builder, tmp_path, paid_months=4)  # paid through April: lapsed from August
    Enrolment.objects.update(end_month=D(2026, 6, 1))  # still enrolled months later
    assert finance_services.mark_lapses(region(), D(2025, 8, 1)).lapsed == 3
    # Window: protection ended with July; arrears may be paid until October (rule: 3 months).
    assert finance_services.mark_lapses(region(), D(2025, 10, 31)).ended == 0
    pay_months(builder, [D(2025, m, 1) for m in range(5, 13)], D(2025, 11, 5))
    run = finance_services.mark_lapses(region(), D(2025, 11, 10))
    assert (run.reactivated, run.ended) == (0, 3)  # too late: the membership has ended
    enrolment = Enrolment.objects.get(worker=worker(RUSNI))
    assert (enrolment.status, enrolment.end_reason, enrolment.end_month) == (
        "ended",
        "lapsed",
        D(2025, 4, 1),
    )
    # protected_on, the one definition, now says so too, whatever was paid late ...
    answer = protected_on(worker(RUSNI), D(2025, 11, 10))
    assert (answer.protected, answer.why.value) == (False, "enrolment_ended")
    # ... and what was billed after the membership ended is credited to the funder.
    assert CreditNote.objects.get(enrolment=enrolment).total == 8 * 16_800
    assert Lapse.objects.current().count() == 0  # no longer "lapsed now": ended
    assert finance_services.mark_lapses(region(), D(2025, 11, 11)).ended == 0  # idempotent


def test_the_cli_and_the_monthly_task(builder, tmp_path, settings):
    build_coverage(builder, tmp_path, paid_months=8)
    out = io.StringIO()
    call_command("lapse", "--region", BENGKALIS, "--date", "2025-12-01", "--json", stdout=out)
    assert json.loads(out.getvalue())["lapsed"] == 3
    Lapse.objects.all().delete()
    Lapse.history.model.objects.all().delete()
    results = finance_tasks.lapse_run.call("2025-12-01")
    assert [r["lapsed"] for r in results] == [3]
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get(task_path=finance_tasks.lapse_run.module_path)
    assert queued.status == "READY"
    assert timezone.localtime(queued.run_after).date() == D(2026, 1, 1)
    assert not finance_tasks.ensure_lapse_run_scheduled()  # one chain only


def test_lapsed_participants_are_counted_and_listed(builder, tmp_path, client):
    source = build_coverage(builder, tmp_path, paid_months=8)
    finance_services.mark_lapses(region(), D(2025, 12, 1))
    Lapse.objects.filter(enrolment__worker=worker(RUSNI)).update(reactivated_on=D(2025, 12, 2))
    [line] = finance_selectors.budget_lines(builder, 2025)
    assert line.lapsed == 2 == Lapse.objects.current().count()
    client.force_login(builder)
    page = client.get(reverse("finance:budget"), {"tahun": 2025}).text
    assert re.search(r'data-field="lapsed">2<', page)
    listed = re.search(r'<table class="data" id="lapsed">.*?</table>', page, re.S).group(0)
    assert listed.count("<tr>") == 1 + 2 and "12/2025" in listed  # not protected since December
    # KPJs as this user may see them, and the list of participants is an audited read
    for lapse in Lapse.objects.current().select_related("enrolment"):
        assert lapse.enrolment.kpj_number in listed  # a superuser has the personal-data right
    assert PersonalDataAccess.objects.filter(object_type="lapsed_participants").exists()
    refresh_regency(BENGKALIS, today=D(2025, 12, 1))
    fact = RegionFact.objects.get(region_code=BENGKALIS, dimension="total")
    assert fact.lapsed == 2
    dashboard = client.get(reverse("reports:dashboard", args=[BENGKALIS])).text
    assert re.search(r'<strong data-field="lapsed">2</strong>', dashboard)
    december = Invoice.objects.get(source=source, month=D(2025, 12, 1))
    sheet = openpyxl.load_workbook(
        io.BytesIO(
            client.get(reverse("finance:invoice", args=[december.pk]), {"format": "xlsx"}).content
        )
    ).active
    status = [row[9] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]]
    assert status.count("NONAKTIF (menunggak) sejak 12/2025") == 2  # one participant-month each
    assert status.count("AKTIF") == 1  # Rusni, reactivated
