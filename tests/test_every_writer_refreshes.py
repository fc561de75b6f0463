"""Every public service that writes something the summaries count announces it (core.events), so
the dashboards, the public page, the national page and the monthly PDF never lag the claims page.

The writers are found by introspection (a public function of a services module that runs in a
transaction or writes to the database, directly or through another writer), not listed by hand:
a new writer without a scenario below fails ``test_every_writer_is_accounted_for``. Each scenario
runs its writer on a small covered kabupaten, then the queued refresh (the database task worker,
as in production), and the summary rows must equal a fresh recount.
"""

from __future__ import annotations

import ast
import datetime
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from jaring.claims import services as claims
from jaring.claims.models import Claim, ClaimStatus
from jaring.claims.services.decisions import transition
from jaring.enrolment import services as enrolment
from jaring.enrolment.models import Enrolment
from jaring.finance import services as finance
from jaring.finance.models import Invoice, InvoiceLine
from jaring.regions.models import Region
from jaring.registry import services as registry
from jaring.registry.models import DuplicateCandidate, Worker
from jaring.reports.models import CoverageMonth, RegionFact
from jaring.reports.services import refresh_regency
from tests.conftest import BENGKALIS
from tests.test_claims import BAHTIAR, PDF, RUSNI, build_coverage, worker
from tests.test_registry_import import write_csv

D = datetime.date
# The summaries' "today": inside the fixture's paid months, so coverage counts are not zero.
REPORT_DATE = "2025-06-15"

# --- Finding the writers ---------------------------------------------------------------------

# Calls that write to the database (or queue work that will), by the called attribute's name.
WRITE_CALLS = {
    "save",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "update",
    "delete",
    "execute",
    "enqueue",
    "on_commit",
    "atomic",
}


def service_modules() -> list[ModuleType]:
    """``jaring.<app>.services`` of every app (with a package's submodules), planning and the
    reconciliation with BPJS."""
    modules = [
        importlib.import_module("jaring.finance.planning"),
        importlib.import_module("jaring.finance.reconciliation.services"),
    ]
    for app in settings.INSTALLED_APPS:
        if not app.startswith("jaring."):
            continue
        try:
            module = importlib.import_module(f"{app}.services")
        except ModuleNotFoundError:
            continue
        modules.append(module)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            modules.append(importlib.import_module(f"{module.__name__}.{info.name}"))
    return modules


def _resolve(module: ModuleType, local_imports: dict[str, str], name: str):
    if name in local_imports:
        target, _, attr = local_imports[name].rpartition(".")
        return getattr(importlib.import_module(target), attr, None)
    return getattr(module, name, None)


def _calls(module: ModuleType, node: ast.FunctionDef) -> tuple[bool, set[str]]:
    """(writes directly, qualified names of the functions it calls)."""
    local_imports = {
        alias.asname or alias.name: f"{imp.module}.{alias.name}"
        for imp in ast.walk(node)
        if isinstance(imp, ast.ImportFrom) and imp.module
        for alias in imp.names
    }
    writes = any("atomic" in ast.unparse(d) for d in node.decorator_list)
    called = set()
    for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in WRITE_CALLS:
            writes = True
        target = None
        if isinstance(func, ast.Name):
            target = _resolve(module, local_imports, func.id)
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = _resolve(module, local_imports, func.value.id)
            target = getattr(owner, func.attr, None) if inspect.ismodule(owner) else None
        if inspect.isfunction(target):
            called.add(f"{target.__module__}.{target.__name__}")
    return writes, called


def discovered_writers() -> set[str]:
    """Public functions of the service modules that write, directly or through a writer."""
    graph, public = {}, set()
    for module in service_modules():
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                name = f"{module.__name__}.{node.name}"
                graph[name] = _calls(module, node)
                if not node.name.startswith("_"):
                    public.add(name)
    writers = {name for name, (writes, _) in graph.items() if writes}
    grown = True
    while grown:
        more = {name for name, (_, called) in graph.items() if called & writers} - writers
        writers |= more
        grown = bool(more)
    return writers & public


# --- The fixture: a covered kabupaten --------------------------------------------------------


@pytest.fixture
def kabupaten(make_user, occupations, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.JARING_REPORT_DATE = REPORT_DATE
    builder = make_user("pembangun", is_superuser=True)
    source = build_coverage(builder, tmp_path)
    return {
        "builder": builder,
        "checker": make_user("pemeriksa", is_superuser=True),
        "approver": make_user("penyetuju", is_superuser=True),  # prepared nothing
        "source": source,
        "region": source.region,
        "tmp": tmp_path,
    }


def death_claim(world, row=RUSNI, status=ClaimStatus.REPORTED) -> Claim:
    report = claims.EventReport("JKM", "death", D(2025, 6, 1), "family")
    return claims.report_event(worker(row), report, world["builder"], D(2025, 6, 2), status)


def submitted_claim(world) -> Claim:
    """Rusni's death claim with her widower as heir and every document checked, submitted."""
    claim = death_claim(world)
    claims.add_family_member(claim, world["builder"], full_name="Zulkifli", relationship="spouse")
    for kind in claims.required_documents(claim):
        upload = SimpleUploadedFile(f"{kind}.pdf", PDF + kind.encode())
        document = claims.upload_document(claim, kind, upload, world["builder"])
        claims.verify_document(document, world["checker"], today=D(2025, 6, 3))
    claims.submit(claim, world["builder"])
    return Claim.objects.get(pk=claim.pk)


def received_claim(world) -> Claim:
    """Checked by the approver (who made nothing), carried to the branch, received by BPJS."""
    claim = submitted_claim(world)
    claims.approve(claim, world["approver"])
    claims.record_sending(claim, world["builder"], D(2025, 6, 4), "hand")
    claims.record_receipt(claim, world["approver"], D(2025, 6, 4), f"JKM-{claim.pk}")
    return Claim.objects.get(pk=claim.pk)


def approved_claim(world) -> Claim:
    claim = received_claim(world)
    amounts = {c["code"]: c["amount"] for c in claim.components}
    decision = claims.BpjsDecision("approved", D(2025, 6, 4), amounts=amounts)
    claims.record_decision(claim, world["approver"], decision)
    return Claim.objects.get(pk=claim.pk)


def pay(world, claim: Claim) -> None:
    transfer = claims.BankTransfer(
        claim.benefit_total, D(2025, 6, 5), "BRK", "123456789", "Z", "T1"
    )
    heir = claim.family.get(is_heir=True)
    claims.record_benefit_payment(claim.instalments.get(), heir, transfer, world["builder"])


def village(name: str) -> Region:
    return Region.objects.get(name=name, code__startswith=BENGKALIS + ".")


def new_worker(world) -> Worker:
    data = registry.WorkerInput(
        nik="1403015506900004",
        full_name="Siti Aminah",
        sex="P",
        birth_date=D(1990, 6, 15),
        village_code="",
    )
    return registry.register_worker(data, village("Kelebuk"), world["builder"])


def import_one(world) -> None:
    row = ["1403015506900004", "Siti Aminah", "P", "15-06-1990", "Kelebuk", "Bengkalis"]
    path = write_csv(world["tmp"] / "satu.csv", [[*row, "", "", "", ""]])
    registry.run_import(registry.create_batch(path, world["region"], "DTKS"))


def twin_candidate(world) -> DuplicateCandidate:
    twin = ["1403014101850099", "Rusni", "P", "01-01-1985", "Kelebuk", "Bengkalis", "", "", "", ""]
    path = write_csv(world["tmp"] / "twin.csv", [twin])
    registry.run_import(registry.create_batch(path, world["region"]))
    return DuplicateCandidate.objects.get()


def move_to_bantan(world) -> None:
    changes = {"village_id": village("Bantan Tua").code}
    registry.update_worker(worker(RUSNI), changes, world["builder"], "Pindah")


def end_rusni(world) -> None:
    enrolment_row = Enrolment.objects.get(worker=worker(RUSNI))
    enrolment.end_enrolment(enrolment_row, "moved", D(2025, 3, 1), world["builder"])


def drop_december(world) -> None:
    """December not billed yet (lines first: an invoice line protects its invoice)."""
    InvoiceLine.objects.filter(invoice__month=D(2025, 12, 1)).delete()
    Invoice.objects.filter(month=D(2025, 12, 1)).delete()


def pay_september(world) -> None:
    invoice = Invoice.objects.get(month=D(2025, 9, 1))
    finance.record_payment(invoice, invoice.total, D(2025, 10, 1), "SP2D/09", world["builder"])


def death_list(world) -> None:
    path = write_csv(
        world["tmp"] / "kematian.csv",
        [[BAHTIAR[0], "Bahtiar", "01-06-2025"]],
        header=["NIK", "Nama", "Tanggal Meninggal"],
    )
    claims.import_deaths(path, world["region"], world["builder"], today=D(2025, 6, 2))


@dataclass(frozen=True)
class Scenario:
    """``run`` calls the writer (after ``setup``, which may call other writers)."""

    run: Callable[[dict, object], None]
    setup: Callable[[dict], object] = lambda world: None


SCENARIOS: dict[str, Scenario] = {
    "jaring.registry.services.register_worker": Scenario(lambda w, _: new_worker(w)),
    "jaring.registry.services.run_import": Scenario(lambda w, _: import_one(w)),
    "jaring.registry.services.update_worker": Scenario(lambda w, _: move_to_bantan(w)),
    "jaring.registry.services.review_duplicate": Scenario(
        lambda w, candidate: registry.review_duplicate(candidate, w["builder"], True),
        twin_candidate,
    ),
    "jaring.enrolment.services.end_enrolment": Scenario(lambda w, _: end_rusni(w)),
    "jaring.enrolment.services.end_enrolment_on_move": Scenario(
        lambda w, _: enrolment.end_enrolment_on_move(
            None, worker=worker(RUSNI), user=w["builder"], last_day=D(2025, 3, 31)
        )
    ),
    "jaring.finance.services.allocate": Scenario(
        lambda w, _: finance.allocate(w["source"], 2025, 99 * 16_800, w["builder"])
    ),
    "jaring.finance.services.bill_month": Scenario(
        lambda w, _: finance.bill_month(w["region"], D(2025, 12, 1), w["builder"]), drop_december
    ),
    # The national run (the system's: a kabupaten's builder has no national scope).
    "jaring.finance.services.bill_month_everywhere": Scenario(
        lambda w, _: finance.bill_month_everywhere(D(2025, 12, 1), None), drop_december
    ),
    "jaring.finance.services.record_payment": Scenario(lambda w, _: pay_september(w)),
    # Paid through August: on 1 December four months are unpaid, one more than tolerated.
    "jaring.finance.services.mark_lapses": Scenario(
        lambda w, _: finance.mark_lapses(w["region"], D(2025, 12, 1), w["builder"])
    ),
    "jaring.claims.services.reporting.report_event": Scenario(lambda w, _: death_claim(w)),
    # A worker never enrolled: no enrolment to end, so only the death itself is announced.
    "jaring.claims.services.reporting.mark_deceased": Scenario(
        lambda w, siti: claims.mark_deceased(siti, D(2025, 5, 1), w["builder"], "Wafat"),
        new_worker,
    ),
    "jaring.claims.services.discovery.import_deaths": Scenario(lambda w, _: death_list(w)),
    "jaring.claims.services.decisions.dismiss": Scenario(
        lambda w, claim: claims.dismiss(claim, w["builder"], "Bukan peserta yang sama."),
        lambda w: death_claim(w, status=ClaimStatus.POTENTIAL),
    ),
    "jaring.claims.services.decisions.decide": Scenario(
        lambda w, claim: claims.decide(claim, w["builder"], "dismiss", "Bukan peserta yang sama."),
        lambda w: death_claim(w, status=ClaimStatus.POTENTIAL),
    ),
    "jaring.claims.services.decisions.transition": Scenario(
        lambda w, claim: transition(claim, "potential", "dismissed", w["builder"], "Bukan dia"),
        lambda w: death_claim(w, status=ClaimStatus.POTENTIAL),
    ),
    "jaring.claims.services.bpjs.record_decision": Scenario(
        lambda w, claim: claims.record_decision(
            claim,
            w["approver"],
            claims.BpjsDecision("refused", D(2025, 6, 5), "Bukan peserta yang sama (NIK)."),
        ),
        received_claim,
    ),
    "jaring.claims.services.payments.record_benefit_payment": Scenario(
        lambda w, claim: pay(w, claim), approved_claim
    ),
}

# Writers whose writes no summary counts (RegionFact counts living active workers and whether
# they are protected, claims by status, the paid claims' benefit, the year's money).
COUNTS_NOTHING: dict[str, str] = {
    "jaring.accounts.services.grant_role": "roles are not counted",
    "jaring.accounts.services.log_personal_access": "the audit log is not counted",
    "jaring.api.services.issue_token": "API tokens are not counted",
    "jaring.api.services.revoke_token": "API tokens are not counted",
    "jaring.api.services.user_for_token": "writes only the token's last use",
    "jaring.api.services.user_for_token_cached": "writes only the token's last use",
    "jaring.regions.services.load_regions": "the region tree; summaries count what is in it",
    "jaring.registry.services.create_batch": "a stored file and a pending batch, no worker",
    "jaring.registry.services.receive_upload": "queues run_import, which announces itself",
    "jaring.registry.services.reveal_nik": "the audit log is not counted",
    "jaring.enrolment.services.export_submission": "planned to submitted: no KPJ, no coverage",
    "jaring.enrolment.services.import_reply": "gives KPJ numbers; coverage starts once billed "
    "and paid (bill_month, record_payment)",
    "jaring.finance.services.credit_months_not_owed": "credit notes are not summed (billed is "
    "the invoices' totals); it announces MONEY all the same",
    "jaring.finance.planning.plan_coverage": "a draft plan",
    "jaring.finance.planning.commit_plan": "planned enrolments have no KPJ, so protect nobody",
    "jaring.finance.planning.commit_as_shown": "commit_plan: planned enrolments protect nobody",
    "jaring.finance.planning.preview_coverage": "a plan shown and rolled back: nothing stays",
    "jaring.claims.services.judging.judge": "eligibility and benefit of a claim in preparation; "
    "a benefit is counted once paid, and a paid claim is never judged again",
    "jaring.claims.services.family.add_family_member": "family and heirs are not counted",
    "jaring.claims.services.family.override_heirs": "family and heirs are not counted",
    "jaring.claims.services.documents.upload_document": "documents are not counted",
    "jaring.claims.services.documents.verify_document": "documents are not counted",
    "jaring.claims.services.documents.store_document": "documents are not counted",
    "jaring.claims.services.scholarship.record_scholarship_application": "scholarship years "
    "are not counted in any summary",
    "jaring.claims.services.scholarship.record_scholarship_payment": "scholarship years are "
    "not counted in any summary",
    "jaring.claims.services.decisions.recheck": "judges an editable claim again (see judge)",
    "jaring.claims.services.decisions.open_potential": "potential and reported both count open",
    "jaring.claims.services.decisions.submit": "reported and checking both count open",
    "jaring.claims.services.decisions.approve": "checking and checked both count open",
    "jaring.claims.services.decisions.send_back": "checking and reported both count open",
    "jaring.claims.services.bpjs.record_sending": "checked and sent both count open",
    "jaring.claims.services.bpjs.record_receipt": "sent and at BPJS both count open",
    "jaring.claims.services.reports.import_claim_report": "applies each row through "
    "record_receipt, record_decision and record_benefit_payment, which announce what they change",
    "jaring.claims.services.payments.sign_handover": "freezes the berita acara of a claim "
    "already paid; the summaries count the payment",
    "jaring.claims.services.common.store_upload": "a file in the claim's directory, no row",
    "jaring.claims.services.payments.create_instalments": "instalments are not counted",
    "jaring.claims.services.payments.record_handover": "the berita acara of a claim already "
    "paid; the summaries count the payment",
    "jaring.claims.services.jkk.record_accident_report": "the JKK path is not counted",
    "jaring.claims.services.jkk.record_treatment": "the JKK path is not counted",
    "jaring.claims.services.jkk.record_discharge": "the JKK path is not counted",
    "jaring.claims.services.jkk.record_incapacity_period": "STMB periods are not counted",
    "jaring.claims.services.jkk.record_incapacity_payment": "STMB payments by BPJS are not "
    "summed (the summaries count paid claims)",
    "jaring.claims.services.jkk.record_return_to_work": "the JKK path is not counted",
    "jaring.claims.services.jkk.record_assessment": "judges a claim in preparation again (see "
    "judge)",
    "jaring.claims.services.jkk.record_suspicion": "the JKK path is not counted",
    "jaring.claims.services.jkk.record_ruling": "the JKK path is not counted",
    "jaring.reports.services.refresh_regency": "the recount itself",
    "jaring.reports.services.count_villages": "part of the recount (refresh_regency)",
    "jaring.reports.services.mark_dirty": "marks villages for the next recount; the receiver "
    "of region_changed calls it",
    "jaring.federation.services.publish": "copies the summaries into the federation outbox",
    "jaring.federation.services.find_double_payments": "findings at the hub are not counted",
    "jaring.federation.services.create_instance_publication": "replication plumbing, no row",
    "jaring.federation.services.subscribe_to_instance": "replication plumbing, no row",
    "jaring.federation.services.follow_hub": "replication plumbing, no row",
    "jaring.finance.services.credit_lines": "credit notes are not summed (see "
    "credit_months_not_owed); it announces MONEY all the same",
    "jaring.registry.services.rerun_import": "queues run_import, which announces itself",
    "jaring.registry.services.fail_dead_imports": "a batch whose process died rolled back: no "
    "worker changed",
    "jaring.registry.services.forget_upload": "deletes a kept list; no counted row",
    "jaring.registry.services.purge_import_files": "kept lists, rejects and raw rejected rows; "
    "the counts stay",
    "jaring.enrolment.services.purge_submission_files": "deletes kept BPJS workbooks",
    "jaring.finance.reconciliation.services.purge_statement_files": (
        "deletes kept BPJS statement files"
    ),
    "jaring.finance.reconciliation.services.import_statement": "the branch's statement and its "
    "differences are not counted",
    "jaring.finance.reconciliation.services.decide": "records the action; accepting BPJS's figure "
    "credits through credit_lines",
    "jaring.reference.services.save_reference": "reference data; the dashboards read the "
    "workforce estimate live, not from the summaries",
}


def test_every_writer_is_accounted_for():
    writers = discovered_writers()
    assert not set(SCENARIOS) & set(COUNTS_NOTHING)
    missing = writers - set(SCENARIOS) - set(COUNTS_NOTHING)
    assert not missing, (
        f"writers without a scenario here (or a reason in COUNTS_NOTHING): {missing}"
    )
    stale = (set(SCENARIOS) | set(COUNTS_NOTHING)) - writers
    assert not stale, f"listed here but no longer a writer: {stale}"


def test_the_discovery_sees_writers_that_are_not_atomic():
    writers = discovered_writers()
    assert "jaring.finance.services.bill_month" in writers  # atomic per source, inside
    assert "jaring.registry.services.receive_upload" in writers  # through create_batch
    assert "jaring.registry.services.imports_dir" not in writers  # a directory, no row


# --- Running them ----------------------------------------------------------------------------


def summaries() -> tuple[list, list]:
    facts = RegionFact.objects.order_by("region_code", "dimension", "key").values_list(
        *(f.name for f in RegionFact._meta.fields if f.name not in {"id", "refreshed_at"})
    )
    months = CoverageMonth.objects.order_by("regency_code", "month").values_list(
        "regency_code", "month", "covered"
    )
    return list(facts), list(months)


@pytest.mark.parametrize("writer", sorted(SCENARIOS))
def test_the_summaries_equal_a_recount_after_every_writer(
    writer, kabupaten, run_queued_tasks, django_capture_on_commit_callbacks
):
    scenario = SCENARIOS[writer]
    prepared = scenario.setup(kabupaten)
    refresh_regency(BENGKALIS)
    before = summaries()
    with django_capture_on_commit_callbacks(execute=True):
        scenario.run(kabupaten, prepared)
    run_queued_tasks()
    after_queued = summaries()
    for regency in {
        BENGKALIS,
        *RegionFact.objects.filter(level=2).values_list("region_code", flat=True),
    }:
        refresh_regency(regency)
    recounted = summaries()
    assert after_queued == recounted, f"{writer} changed counted data without announcing it"
    assert recounted != before, f"{writer}'s scenario changes nothing counted: it proves nothing"
