"""Planning coverage within the budget: who a funding source covers, and committing the plan.

Selection is one SQL statement with window functions: deterministic (desil, then registration
order, then id), explainable (each selection keeps its ranks) and never over budget (the
capacity is computed from what is left of the allocation before anything is selected).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.core.events import Change, region_changed
from jaring.core.history import record_history
from jaring.enrolment.models import OPEN_STATUSES, CoveragePlan, Enrolment, PlanSelection
from jaring.finance.models import Allocation, FundingSource
from jaring.finance.selectors import committed_cost
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import RuleBook, default_rulebook
from jaring.regions.models import Level, Region
from jaring.registry.models import Worker


def default_start_month(fiscal_year: int, today: datetime.date) -> datetime.date:
    """January for a future year, next month for the current year."""
    if today.year < fiscal_year:
        return datetime.date(fiscal_year, 1, 1)
    following = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return min(following, datetime.date(fiscal_year, 12, 1))


_OPEN = "(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"


@transaction.atomic
def plan_coverage(
    region: Region,
    source: FundingSource,
    fiscal_year: int,
    user,
    start_month: datetime.date | None = None,
    quotas: dict | None = None,
    today: datetime.date | None = None,
    book: RuleBook | None = None,
) -> CoveragePlan:
    """A draft plan: how many workers the remaining budget covers, and which ones."""
    require_in(user, Capability.MANAGE_FINANCE, region.code)
    book = book or default_rulebook()
    today = today or timezone.localdate()
    start = (start_month or default_start_month(fiscal_year, today)).replace(day=1)
    end = datetime.date(fiscal_year, 12, 1)
    if start.year != fiscal_year:
        raise ValidationError(
            _("The start month must be in the same fiscal year."), code="start_outside_year"
        )
    allocation = Allocation.objects.filter(source=source, fiscal_year=fiscal_year).first()
    if allocation is None:
        raise ValidationError(
            _("There is no allocation of %(source)s for %(year)s yet."),
            code="allocation_missing",
            params={"source": source.name, "year": fiscal_year},
        )
    params = program_rules.contribution_parameters(book, start, source.rule_funding)
    income = params.income_min
    monthly = sum(params.amount(p, income, False) for p in program_rules.MANDATORY_PROGRAMS)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    available = allocation.amount - committed_cost(source, fiscal_year)
    capacity = max(0, available // (monthly * months))
    ages = book.at("enrolment.age_limits", start)
    plan = CoveragePlan.objects.create(
        region=region,
        source=source,
        fiscal_year=fiscal_year,
        start_month=start,
        end_month=end,
        monthly_cost=monthly,
        budget_available=available,
        capacity=capacity,
        quotas={k: int(v) for k, v in (quotas or {}).items()},
        created_by=user,
        rule_refs=[*params.rule_refs, ages.ref],
    )
    _select(plan, income_ages=ages.value, start=start)
    plan.selected = plan.selections.count()
    plan.cost = plan.selected * monthly * months
    plan.save(update_fields=["selected", "cost"])
    return plan


def _select(plan: CoveragePlan, income_ages: dict, start: datetime.date) -> None:
    quote = connection.ops.quote_name
    region_column = "regency_code" if plan.region.level == Level.REGENCY else "district_code"
    oldest = program_rules.add_years(start, -(income_ages["max_age"] + 1))
    youngest = program_rules.add_years(start, -income_ages["min_age"])
    quota_cases, quota_params = "", []
    if plan.quotas:
        quota_cases = " ".join("WHEN %s THEN %s" for _quota in plan.quotas)
        quota_params = [v for item in sorted(plan.quotas.items()) for v in item]
    quota_filter = (
        (f"AND r.district_rank <= CASE r.district_code {quota_cases} ELSE r.district_rank END")
        if plan.quotas
        else ""
    )
    order = "(w.desil IS NULL), w.desil, w.created_at, w.id"
    sql = f"""
        INSERT INTO {quote(PlanSelection._meta.db_table)}
            (plan_id, worker_id, district_code, desil, overall_rank, district_rank)
        SELECT %s, r.id, r.district_code, r.desil, r.overall_rank, r.district_rank FROM (
            SELECT w.id, w.district_code, w.desil,
                   ROW_NUMBER() OVER (ORDER BY {order}) AS overall_rank,
                   ROW_NUMBER() OVER (PARTITION BY w.district_code ORDER BY {order})
                       AS district_rank
            FROM {quote(Worker._meta.db_table)} AS w
            WHERE w.{region_column} = %s AND w.status = 'active'
              AND w.birth_date > %s AND w.birth_date <= %s
              AND NOT EXISTS (SELECT 1 FROM {quote(Enrolment._meta.db_table)} AS e
                              WHERE e.worker_id = w.id AND e.status IN {_OPEN})
        ) AS r
        WHERE 1 = 1 {quota_filter}
        ORDER BY r.overall_rank
        LIMIT %s
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [plan.pk, plan.region.code, oldest, youngest, *quota_params, plan.capacity]
        )


@transaction.atomic
def commit_plan(plan: CoveragePlan, user) -> int:
    """Turn a draft plan's selections into planned enrolments. Returns how many were created."""
    require_in(user, Capability.MANAGE_FINANCE, plan.region_id)
    plan = CoveragePlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != CoveragePlan.Status.DRAFT:
        raise ValidationError(
            _("This plan was already committed or cancelled."), code="plan_not_draft"
        )
    available = Allocation.objects.get(source=plan.source, fiscal_year=plan.fiscal_year).amount
    available -= committed_cost(plan.source, plan.fiscal_year)
    if plan.cost > available:
        raise ValidationError(
            _("The remaining allocation changed since the plan was made; make a new plan."),
            code="plan_outdated",
        )
    quote = connection.ops.quote_name
    income = program_rules.contribution_parameters(
        default_rulebook(), plan.start_month, plan.source.rule_funding
    ).income_min
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(Enrolment._meta.db_table)} "  # nosec B608
            f"(worker_id, source_id, plan_id, status, start_month, end_month, declared_income, "
            f"programs, kpj_number, bpjs_note, end_reason, created_at, updated_at) "
            f"SELECT s.worker_id, %s, %s, 'planned', %s, %s, %s, 'JKK,JKM', '', '', '', %s, %s "
            f"FROM {quote(PlanSelection._meta.db_table)} AS s "
            f"JOIN {quote(Worker._meta.db_table)} AS w ON w.id = s.worker_id "
            f"WHERE s.plan_id = %s AND w.status = 'active' "
            f"ORDER BY s.overall_rank ON CONFLICT DO NOTHING",
            [plan.source_id, plan.pk, plan.start_month, plan.end_month, income, now, now, plan.pk],
        )
        created = cursor.rowcount
    record_history(
        Enrolment,
        "t.plan_id = %s",
        [plan.pk],
        "+",
        getattr(user, "pk", None),
        f"Rencana cakupan #{plan.pk}",
    )
    plan.status, plan.committed_by, plan.committed_at = (CoveragePlan.Status.COMMITTED, user, now)
    plan._history_user = user
    plan.save(update_fields=["status", "committed_by", "committed_at"])
    region_changed(plan.region_id, Change.ENROLMENTS)
    return created
