"""Planning coverage within the budget: who a funding source covers, and committing the plan.

Selection is one SQL statement with window functions: deterministic (desil, then registration
order, then id), explainable (each selection keeps its ranks) and never over budget (the
capacity is computed from what is left of the allocation before anything is selected).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jaring.accounts.rules import Capability
from jaring.accounts.scoping import require_in
from jaring.core.bulk import analyze_if_stale, bulk_settings
from jaring.core.events import Change, region_changed
from jaring.core.history import record_history
from jaring.enrolment.models import (
    OPEN_STATUSES,
    CoveragePlan,
    Enrolment,
    PlanDrop,
    PlanSelection,
)
from jaring.finance.models import Allocation, FundingSource, Lapse
from jaring.finance.selectors import committed_cost
from jaring.programs import rules as program_rules
from jaring.programs.rulebook import RuleBook, default_rulebook
from jaring.regions import rules as region_rules
from jaring.regions.models import Level, Region
from jaring.registry.models import Worker


def default_start_month(fiscal_year: int, today: datetime.date) -> datetime.date:
    """January for a future year, next month for the current year."""
    if today.year < fiscal_year:
        return datetime.date(fiscal_year, 1, 1)
    following = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return min(following, datetime.date(fiscal_year, 12, 1))


_OPEN = "(" + ", ".join(f"'{status}'" for status in OPEN_STATUSES) + ")"
# Enrolments that hold (or will hold) a funder's months: open ones, and ended ones for the
# months they covered.
COVERING_STATUSES = (*OPEN_STATUSES, "ended")
# Why an enrolment can end before its budget period does; a renewal drops such a participant
# with the matching reason (``_cohort_sql``).
EARLY_ENDS = (
    Enrolment.EndReason.DEATH,
    Enrolment.EndReason.MOVED,
    Enrolment.EndReason.DUPLICATE,
    Enrolment.EndReason.LAPSED,
)


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
    months = program_rules.months_between(start, end) + 1
    available = allocation.amount - committed_cost(source, fiscal_year)
    capacity = max(0, available // (monthly * months))
    ages = book.at("enrolment.age_limits", start)
    quotas = resolve_quotas(region, quotas or {})
    plan = CoveragePlan.objects.create(
        region=region,
        source=source,
        fiscal_year=fiscal_year,
        start_month=start,
        end_month=end,
        monthly_cost=monthly,
        budget_available=available,
        capacity=capacity,
        quotas=quotas,
        created_by=user,
        rule_refs=[*params.rule_refs, ages.ref],
    )
    with bulk_settings():
        continued = _continue_cohort(plan, income_ages=ages.value, start=start)
        _skip_other_funders(plan, income_ages=ages.value, start=start)
        _select(plan, income_ages=ages.value, start=start, continued=continued)
    plan.selected = plan.selections.count()
    plan.cost = plan.selected * monthly * months
    plan.save(update_fields=["selected", "cost"])
    return plan


def preview_coverage[T](
    region: Region,
    source: FundingSource,
    fiscal_year: int,
    user,
    start_month: datetime.date | None,
    quotas: dict | None,
    read: Callable[[CoveragePlan], T],
) -> T:
    """What ``plan_coverage`` would choose, as ``read(plan)`` sees it, then undone: showing a
    plan ("Tampilkan rencana") leaves no draft behind, however often it is asked for."""
    with transaction.atomic():
        plan = plan_coverage(region, source, fiscal_year, user, start_month, quotas)
        shown = read(plan)
        transaction.set_rollback(True)
    return shown


@transaction.atomic
def commit_as_shown(
    region: Region,
    source: FundingSource,
    fiscal_year: int,
    user,
    start_month: datetime.date | None,
    quotas: dict | None,
    shown: tuple[int, int],
) -> CoveragePlan:
    """Make the plan that was previewed and commit it at once. ``shown`` is the (selected,
    cost) the person saw; if the registry or the budget moved since, nothing is committed."""
    plan = plan_coverage(region, source, fiscal_year, user, start_month, quotas)
    if (plan.selected, plan.cost) != tuple(shown):
        raise ValidationError(
            _(
                "The plan changed since it was shown (the registry or the budget moved): "
                "look at it again before committing."
            ),
            code="plan_changed",
        )
    commit_plan(plan, user)
    return plan


def resolve_quotas(region: Region, quotas: dict) -> dict[str, int]:
    """Quotas keyed by kecamatan code: a key that is the code of a kecamatan of ``region``
    stays, any other key is read as a kecamatan name (``regions.rules.match_name``: exact,
    or a clear fuzzy match). A name that matches no kecamatan, or several, is refused."""
    districts = Region.objects.filter(level=Level.DISTRICT, code__startswith=region.code + ".")
    candidates = [(d.code, d.name_key, d.name) for d in districts.order_by("code")]
    codes = {code for code, _key, _name in candidates}
    resolved, unknown = {}, []
    for key, number in quotas.items():
        key = str(key).strip()
        match = key if key in codes else region_rules.match_name(key, candidates).code
        if match is None:
            unknown.append(key)
        else:
            resolved[match] = int(number)
    if unknown:
        raise ValidationError(
            _("No single kecamatan of %(region)s is called %(names)s: write its name or code."),
            code="quota_district_unknown",
            params={"region": region.name, "names": ", ".join(unknown)},
        )
    return resolved


def _skip_other_funders(plan: CoveragePlan, income_ages: dict, start: datetime.date) -> None:
    """Workers the plan would take but another funding source already covers in some of its
    months (one funder per participant-month) are skipped, each recorded with the reason and
    the other source's enrolment."""
    quote = connection.ops.quote_name
    region_column = "regency_code" if plan.region.level == Level.REGENCY else "district_code"
    oldest = program_rules.add_years(start, -(income_ages["max_age"] + 1))
    youngest = program_rules.add_years(start, -income_ages["min_age"])
    enrolments, workers = quote(Enrolment._meta.db_table), quote(Worker._meta.db_table)
    statuses = ", ".join(["%s"] * len(COVERING_STATUSES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(PlanDrop._meta.db_table)} "  # nosec B608
            f"(plan_id, worker_id, previous_id, district_code, reason) "
            f"SELECT %s, w.id, MIN(e.id), w.district_code, %s FROM {workers} AS w "
            f"JOIN {enrolments} AS e ON e.worker_id = w.id "
            f"WHERE w.{region_column} = %s AND w.status = 'active' "
            f"AND w.birth_date > %s AND w.birth_date <= %s "
            f"AND e.source_id <> %s AND e.status IN ({statuses}) "
            f"AND e.start_month <= %s AND e.end_month >= %s "
            f"AND NOT EXISTS (SELECT 1 FROM {quote(PlanSelection._meta.db_table)} AS s "
            f"WHERE s.plan_id = %s AND s.worker_id = w.id) "
            f"AND NOT EXISTS (SELECT 1 FROM {quote(PlanDrop._meta.db_table)} AS d "
            f"WHERE d.plan_id = %s AND d.worker_id = w.id) "
            f"GROUP BY w.id, w.district_code",
            [
                *(plan.pk, PlanDrop.Reason.OTHER_FUNDER, plan.region.code, oldest, youngest),
                *(plan.source_id, *COVERING_STATUSES, plan.end_month, plan.start_month),
                *(plan.pk, plan.pk),
            ],
        )


# The same priority everywhere: poorest desil first, unknown desil last, then who registered first.
PRIORITY = "(w.desil IS NULL), w.desil, w.created_at, w.id"


def _cohort_sql(plan: CoveragePlan, income_ages: dict, start: datetime.date) -> tuple[str, list]:
    """The current cohort of the plan's source: enrolments with a KPJ whose coverage runs to the
    month before the plan starts, and those of the same year ended early by a death, a merge or a
    move (each then a drop with its reason: "deceased", "merged", "moved"; a worker whose move or
    lapse past its window left it living in the region is no drop: it may come back as a
    newcomer). Each with why it cannot continue ('' when it can; 'lapsed' while its lapse for
    arrears is open — paying the arrears reactivates it, and a plan made after that continues it;
    'funded' when another source covers it in the plan's months) and its rank among those that
    can (priority order). A worker is a cohort member once: an enrolment followed by a later one
    of the same source (continued already, or enrolled again after an early end) is not."""
    quote = connection.ops.quote_name
    region_column = "regency_code" if plan.region.level == Level.REGENCY else "district_code"
    oldest = program_rules.add_years(start, -(income_ages["max_age"] + 1))
    previous_month = (start - datetime.timedelta(days=1)).replace(day=1)
    year_start = previous_month.replace(month=1)
    statuses = ", ".join(["%s"] * len(COVERING_STATUSES))
    early = ", ".join(["%s"] * len(EARLY_ENDS))
    enrolments = quote(Enrolment._meta.db_table)
    # The lapse and other-funder tests are uncorrelated IN lists (one pass each, hashed), and the
    # two ways into the cohort are separate branches (each its own anti-join).
    sql = f"""
        SELECT c.*, CASE WHEN c.drop_reason = '' THEN ROW_NUMBER() OVER (
                   PARTITION BY c.drop_reason ORDER BY c.priority_rank) END AS overall_rank,
               CASE WHEN c.drop_reason = '' THEN ROW_NUMBER() OVER (
                   PARTITION BY c.drop_reason, c.district_code ORDER BY c.priority_rank)
               END AS district_rank
        FROM (
            SELECT e.id AS enrolment_id, w.id AS worker_id, w.district_code, w.desil,
                   ROW_NUMBER() OVER (ORDER BY {PRIORITY}) AS priority_rank,
                   CASE WHEN w.status = 'deceased' OR e.end_reason = 'death' THEN 'deceased'
                        WHEN w.status = 'merged' OR e.end_reason = 'duplicate' THEN 'merged'
                        WHEN w.status <> 'active' OR w.{region_column} <> %s
                             OR e.end_reason = 'moved' THEN 'moved'
                        WHEN w.birth_date <= %s THEN 'age'
                        WHEN e.id IN (SELECT l.enrolment_id FROM {quote(Lapse._meta.db_table)} AS l
                                      WHERE l.reactivated_on IS NULL)
                             THEN %s
                        WHEN w.id IN (SELECT o.worker_id FROM {enrolments} AS o
                                      WHERE o.source_id <> %s AND o.status IN ({statuses})
                                        AND o.start_month <= %s AND o.end_month >= %s)
                             THEN %s
                        ELSE '' END AS drop_reason
            FROM (
                SELECT e.* FROM {enrolments} AS e
                WHERE e.source_id = %s AND e.kpj_number <> ''
                  AND e.status IN ('active', 'ended') AND e.end_month = %s
                  AND e.end_reason IN ('', 'budget_end')
                  -- continued already (by an earlier plan of the year): not a member twice
                  AND NOT EXISTS (SELECT 1 FROM {enrolments} AS n
                                  WHERE n.worker_id = e.worker_id AND n.source_id = e.source_id
                                    AND n.start_month > e.end_month AND n.status <> 'cancelled')
                UNION ALL
                -- ended early in the year (a death before it began cancels it)
                SELECT e.* FROM {enrolments} AS e
                WHERE e.source_id = %s AND e.kpj_number <> ''
                  AND e.status IN ('ended', 'cancelled') AND e.end_reason IN ({early})
                  AND e.start_month <= %s AND e.end_month >= %s AND e.end_month <= %s
                  AND NOT EXISTS (SELECT 1 FROM {enrolments} AS n
                                  WHERE n.worker_id = e.worker_id AND n.source_id = e.source_id
                                    AND n.id > e.id)
            ) AS e
            JOIN {quote(Worker._meta.db_table)} AS w ON w.id = e.worker_id
            -- a lapse past its window (or a move) that left the worker living in the region:
            -- not a drop, the worker may come back as a newcomer
            WHERE NOT (e.end_reason IN ('moved', 'lapsed') AND w.status = 'active'
                       AND w.{region_column} = %s)
        ) AS c
    """  # nosec B608
    return sql, [
        *(plan.region.code, oldest, PlanDrop.Reason.LAPSED),
        *(plan.source_id, *COVERING_STATUSES, plan.end_month, plan.start_month),
        *(PlanDrop.Reason.OTHER_FUNDER, plan.source_id, previous_month),
        *(plan.source_id, *EARLY_ENDS, previous_month, year_start, previous_month),
        plan.region.code,
    ]


def _continue_cohort(plan: CoveragePlan, income_ages: dict, start: datetime.date) -> int:
    """Renewal: the current cohort continues first (same KPJ, unbroken membership), poorest
    first within the capacity; who cannot continue is recorded with the reason. Returns how
    many continue."""
    quote = connection.ops.quote_name
    cohort, params = _cohort_sql(plan, income_ages, start)
    selections, drops = quote(PlanSelection._meta.db_table), quote(PlanDrop._meta.db_table)
    with connection.cursor() as cursor:
        # The cohort query once (window functions, existence tests), read twice.
        cursor.execute(f"CREATE TEMPORARY TABLE plan_cohort AS {cohort}", params)
        cursor.execute(
            f"INSERT INTO {selections} (plan_id, worker_id, kind, previous_id, district_code, "
            f"desil, overall_rank, district_rank) "
            f"SELECT %s, k.worker_id, 'continued', k.enrolment_id, k.district_code, k.desil, "
            f"k.overall_rank, k.district_rank FROM plan_cohort AS k "
            f"WHERE k.drop_reason = '' AND k.overall_rank <= %s",  # nosec B608
            [plan.pk, plan.capacity],
        )
        continued = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {drops} (plan_id, worker_id, previous_id, district_code, reason) "
            f"SELECT %s, k.worker_id, k.enrolment_id, k.district_code, "
            f"CASE WHEN k.drop_reason = '' THEN 'budget' ELSE k.drop_reason END "
            f"FROM plan_cohort AS k "
            f"WHERE k.drop_reason <> '' OR k.overall_rank > %s",  # nosec B608
            [plan.pk, plan.capacity],
        )
        cursor.execute("DROP TABLE plan_cohort")
    return continued


def _select(
    plan: CoveragePlan, income_ages: dict, start: datetime.date, continued: int = 0
) -> None:
    """Newcomers, poorest first, for what the budget covers after the continued cohort."""
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
    order = PRIORITY
    sql = f"""
        INSERT INTO {quote(PlanSelection._meta.db_table)}
            (plan_id, worker_id, kind, district_code, desil, overall_rank, district_rank)
        SELECT %s, r.id, 'new', r.district_code, r.desil, r.overall_rank + %s, r.district_rank
        FROM (
            SELECT w.id, w.district_code, w.desil,
                   ROW_NUMBER() OVER (ORDER BY {order}) AS overall_rank,
                   ROW_NUMBER() OVER (PARTITION BY w.district_code ORDER BY {order})
                       AS district_rank
            FROM {quote(Worker._meta.db_table)} AS w
            WHERE w.{region_column} = %s AND w.status = 'active'
              AND w.birth_date > %s AND w.birth_date <= %s
              AND NOT EXISTS (SELECT 1 FROM {quote(Enrolment._meta.db_table)} AS e
                              WHERE e.worker_id = w.id AND e.status IN {_OPEN})
              AND NOT EXISTS (SELECT 1 FROM {quote(PlanSelection._meta.db_table)} AS s
                              WHERE s.plan_id = %s AND s.worker_id = w.id)
              AND NOT EXISTS (SELECT 1 FROM {quote(PlanDrop._meta.db_table)} AS d
                              WHERE d.plan_id = %s AND d.worker_id = w.id)
        ) AS r
        WHERE 1 = 1 {quota_filter}
        ORDER BY r.overall_rank
        LIMIT %s
    """  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                *(plan.pk, continued, plan.region.code, oldest, youngest, plan.pk, plan.pk),
                *(*quota_params, max(0, plan.capacity - continued)),
            ],
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
    # The selections were written by the plan (a fresh table has no statistics yet).
    analyze_if_stale(PlanSelection)
    with bulk_settings(), connection.cursor() as cursor:
        created = _continue_enrolments(plan, user, now)
        cursor.execute(
            f"INSERT INTO {quote(Enrolment._meta.db_table)} "  # nosec B608
            f"(worker_id, source_id, plan_id, status, start_month, end_month, declared_income, "
            f"programs, kpj_number, bpjs_note, end_reason, created_at, updated_at) "
            f"SELECT s.worker_id, %s, %s, 'planned', %s, %s, %s, 'JKK,JKM', '', '', '', %s, %s "
            f"FROM {quote(PlanSelection._meta.db_table)} AS s "
            f"JOIN {quote(Worker._meta.db_table)} AS w ON w.id = s.worker_id "
            f"WHERE s.plan_id = %s AND s.kind = 'new' AND w.status = 'active' "
            f"ORDER BY s.overall_rank ON CONFLICT DO NOTHING",
            [plan.source_id, plan.pk, plan.start_month, plan.end_month, income, now, now, plan.pk],
        )
        created += cursor.rowcount
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


def _continue_enrolments(plan: CoveragePlan, user, now) -> int:
    """The continued cohort: each previous enrolment closes at its own last month (end of the
    budget period) and a new active one follows it with the same KPJ and declared income, so
    the membership runs on unbroken. Returns how many continue."""
    quote = connection.ops.quote_name
    enrolments, selections = quote(Enrolment._meta.db_table), quote(PlanSelection._meta.db_table)
    previous = (
        f"SELECT s.previous_id FROM {selections} AS s WHERE s.plan_id = %s AND s.kind = 'continued'"  # nosec B608
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {enrolments} SET status = 'ended', end_reason = 'budget_end', "  # nosec B608
            f"updated_at = %s WHERE status = 'active' AND id IN ({previous})",
            [now, plan.pk],
        )
        record_history(
            Enrolment,
            f"t.id IN ({previous})",
            [plan.pk],
            "~",
            getattr(user, "pk", None),
            f"Diperpanjang oleh rencana #{plan.pk}",
        )
        cursor.execute(
            f"INSERT INTO {enrolments} "  # nosec B608
            f"(worker_id, source_id, plan_id, status, start_month, end_month, declared_income, "
            f"programs, kpj_number, bpjs_note, end_reason, created_at, updated_at) "
            f"SELECT e.worker_id, %s, %s, 'active', %s, %s, e.declared_income, e.programs, "
            f"e.kpj_number, '', '', %s, %s "
            f"FROM {selections} AS s JOIN {enrolments} AS e ON e.id = s.previous_id "
            f"WHERE s.plan_id = %s AND s.kind = 'continued' ORDER BY s.overall_rank",
            [plan.source_id, plan.pk, plan.start_month, plan.end_month, now, now, plan.pk],
        )
        return cursor.rowcount
