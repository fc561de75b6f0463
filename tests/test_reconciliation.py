"""Reconciliation with BPJS: a crafted branch statement holding every kind of difference (and
every kind of bad row) is found by the set-based compare; a re-import duplicates nothing; a
decision is recorded with who, when and why, and money moves only through a credit note."""

import datetime
import io
import json

import openpyxl
import polars as pl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from jaring.accounts.models import OrgUnit, PersonalDataAccess
from jaring.accounts.rules import RoleCode
from jaring.core import crypto
from jaring.core.spreadsheets import FileRefused
from jaring.enrolment import services as enrolment_services
from jaring.enrolment.models import Enrolment
from jaring.finance import selectors as finance_selectors
from jaring.finance import services as finance_services
from jaring.finance.models import CreditNote, FundingSource, Invoice, InvoiceLine
from jaring.finance.reconciliation import rules
from jaring.finance.reconciliation import services as recon
from jaring.finance.reconciliation.models import (
    Difference,
    Statement,
    StatementFormat,
    StatementLine,
)
from jaring.regions.models import Region
from tests.conftest import BENGKALIS, SIAK
from tests.test_enrolment_finance import apbd, enrol_and_activate, finance_officer, registry
from tests.test_registry_import import write_csv

FIXTURES = (apbd, finance_officer, registry)  # pytest finds the imported fixtures by name
D = datetime.date
APRIL = D(2025, 4, 1)
MAY = D(2025, 5, 1)
PER_MONTH = 16_800
HEADER = ["NO KPJ", "NIK", "PERIODE", "IURAN", "STATUS"]


@pytest.fixture
def billed(apbd, finance_officer, tmp_path, settings):  # noqa: F811
    """100 participants active from April 2025, April billed; the fourth died in March (its
    enrolment is cancelled and April credited)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    enrol_and_activate(apbd, finance_officer, tmp_path)
    region = Region.objects.get(code=BENGKALIS)
    finance_services.bill_month(region, APRIL, finance_officer)
    enrolments = list(Enrolment.objects.order_by("pk").select_related("worker"))
    enrolment_services.end_enrolment(enrolments[4], "death", D(2025, 3, 20), None)
    return apbd, enrolments


def statement_rows(enrolments):
    """The branch's April: one row per participant, with one of each difference and bad row."""
    rows = []
    for index, enrolment in enumerate(enrolments):
        kpj, amount, status = enrolment.kpj_number, "16.800", "AKTIF"
        if index == 1:
            amount = "Rp 20.000,00"  # BPJS bills more
        elif index == 2:
            amount = "10000"  # BPJS bills less
        elif index == 3:
            continue  # billed by Jaring, not on the statement
        elif index == 5:
            amount, status = "0", "NONAKTIF"  # ended at BPJS, active in Jaring
        elif index == 8:  # no KPJ: found by NIK, agrees
            rows.append(
                ["", crypto.decrypt_nik(enrolment.worker.nik_cipher), "04-2025", amount, status]
            )
            continue
        rows.append([kpj, "", "2025-04", amount, status])
    # index 4 stays listed as active: it died in March in Jaring (active at BPJS, ended here)
    rows += [
        ["99999999999", "", "2025-04", "16800", "AKTIF"],  # at BPJS, unknown in Jaring
        ["123", "", "2025-04", "16800", "AKTIF"],  # bad KPJ
        [enrolments[6].kpj_number, "", "2025-04", "enam belas ribu", "AKTIF"],  # bad amount
        [enrolments[7].kpj_number, "", "2025-04", "16800", "MUNGKIN"],  # unknown status
        [enrolments[9].kpj_number, "", "2025-05", "16800", "AKTIF"],  # another month
        [enrolments[10].kpj_number, "", "2025-04", "16800", "AKTIF"],  # listed twice
        ["", "3.2E+15", "2025-04", "16800", "AKTIF"],  # neither KPJ nor NIK
    ]
    return rows


EXPECTED_KINDS = {
    rules.Kind.AMOUNT: 2,
    rules.Kind.MISSING_AT_BPJS: 1,
    rules.Kind.MISSING_HERE: 1,
    rules.Kind.ACTIVE_AT_BPJS: 1,
    rules.Kind.ENDED_AT_BPJS: 1,
}
EXPECTED_PROBLEMS = {
    "kpj_invalid": 1,
    "amount_invalid": 1,
    "status_unknown": 1,
    "other_month": 1,
    "duplicate": 1,
    "no_participant": 1,
}


def _problems(statement):
    return {
        p: n
        for p, n in StatementLine.objects.filter(statement=statement)
        .exclude(problem="")
        .values_list("problem")
        .annotate(n=Count("id"))
    }


def test_each_kind_of_difference_is_found_with_its_cause(billed, finance_officer, tmp_path):  # noqa: F811
    source, enrolments = billed
    path = write_csv(tmp_path / "tagihan-april.csv", statement_rows(enrolments), header=HEADER)
    outcome = recon.import_statement(source, APRIL, path, finance_officer)
    statement = outcome.statement
    assert outcome.created and outcome.by_kind == EXPECTED_KINDS
    assert _problems(statement) == EXPECTED_PROBLEMS
    assert (statement.rows, statement.rejected) == (100 - 1 + 7, 6)
    by_enrolment = {d.enrolment_id: d for d in statement.differences.all()}
    higher, lower = by_enrolment[enrolments[1].pk], by_enrolment[enrolments[2].pk]
    assert (higher.cause, higher.bpjs_amount, higher.ours_amount) == (
        rules.Cause.AMOUNT_HIGHER,
        20_000,
        PER_MONTH,
    )
    assert (lower.cause, lower.bpjs_amount) == (rules.Cause.AMOUNT_LOWER, 10_000)
    missing = by_enrolment[enrolments[3].pk]  # billed by Jaring, no row at the branch
    assert (missing.kind, missing.cause, missing.kpj) == (
        rules.Kind.MISSING_AT_BPJS,
        rules.Cause.NOT_AT_BRANCH,
        enrolments[3].kpj_number,
    )
    assert (missing.ours_amount, missing.bpjs_amount, missing.line_id) == (PER_MONTH, None, None)
    assert by_enrolment[enrolments[4].pk].cause == rules.Cause.DEATH_UNREPORTED
    assert by_enrolment[enrolments[5].pk].cause == rules.Cause.ENDED_AT_BRANCH
    unknown = statement.differences.get(kind=rules.Kind.MISSING_HERE)
    assert (unknown.kpj, unknown.enrolment_id, unknown.cause) == (
        "99999999999",
        None,
        rules.Cause.UNKNOWN_KPJ,
    )
    assert enrolments[8].pk not in by_enrolment  # matched by NIK, agrees
    assert enrolments[10].pk not in by_enrolment  # its first row agrees; the repeat is refused
    # Jaring's April less the credited death; BPJS's active rows that could be read.
    assert statement.ours_total == 99 * PER_MONTH
    assert statement.bpjs_total == 97 * PER_MONTH + 20_000 + 10_000
    history = Difference.history.filter(statement_id=statement.pk, history_type="+")
    assert history.count() == sum(EXPECTED_KINDS.values())
    # Only the rows someone reads are kept as lines: those refused and those that differ (the
    # sealed file keeps the rest; the statement its counts and total, above).
    differing = statement.differences.filter(line__isnull=False)
    assert (
        differing.count()
        == sum(EXPECTED_KINDS.values()) - EXPECTED_KINDS[rules.Kind.MISSING_AT_BPJS]
    )
    assert StatementLine.objects.filter(statement=statement).count() == (
        statement.rejected + differing.count()
    )
    assert all(d.line.row_number and d.line.kpj == d.kpj for d in differing.select_related("line"))


@pytest.mark.parametrize("chunk_rows", [1, 4])
def test_a_participant_listed_twice_is_found_across_chunks(
    billed,
    finance_officer,  # noqa: F811
    tmp_path,
    monkeypatch,
    chunk_rows,
):
    """The repeated participants are gathered over the whole file, not per chunk: with chunks
    of one row the second listing is still the one refused, and the figures are the same."""
    source, enrolments = billed
    rows = statement_rows(enrolments)
    path = write_csv(tmp_path / "tagihan-april.csv", rows, header=HEADER)
    opened = recon.open_sheet
    monkeypatch.setattr(
        recon, "open_sheet", lambda path, schema: opened(path, schema, chunk_rows=chunk_rows)
    )
    outcome = recon.import_statement(source, APRIL, path, finance_officer)
    assert outcome.by_kind == EXPECTED_KINDS
    assert _problems(outcome.statement) == EXPECTED_PROBLEMS
    repeat = StatementLine.objects.get(statement=outcome.statement, problem="duplicate")
    listed = [i for i, row in enumerate(rows) if row[0] == enrolments[10].kpj_number]
    assert repeat.row_number == listed[-1] + 2  # the later listing (row 1 is the header)
    assert repeat.enrolment_id is None


keys = st.lists(
    st.tuples(st.sampled_from(["24030000001", "24030000002", ""]), st.sampled_from(["", "ab"])),
    max_size=30,
)


@given(keys, st.integers(min_value=1, max_value=7))
def test_the_repeated_participants_are_those_listed_more_than_once(listed, chunk_rows):
    rows = [(kpj, nik, number + 2) for number, (kpj, nik) in enumerate(listed)]
    chunks = [
        pl.DataFrame(
            rows[start : start + chunk_rows],
            schema=recon.REPEATED_SCHEMA,
            orient="row",
        )
        for start in range(0, len(rows), chunk_rows)
    ]
    expected = {}
    for kpj, nik, number in rows:
        if sum(1 for other in rows if other[:2] == (kpj, nik)) > 1:
            expected.setdefault((kpj, nik), number)
    found = recon._repeated(chunks)
    assert {(k, n): r for k, n, r in found.iter_rows()} == expected


def owed_by_enrolment(source, month) -> dict[int, int]:
    """What Jaring bills ``source`` for ``month``, per enrolment, worked out line by line here:
    the lines of that funder's invoice of that month no credit note took back."""
    owed = {}
    for line in InvoiceLine.objects.select_related("invoice"):
        funder_month = line.invoice.source_id == source.pk and line.invoice.month == month
        if funder_month and line.credit_note_id is None:
            owed[line.enrolment_id] = owed.get(line.enrolment_id, 0) + line.amount
    return owed


def test_jaring_total_is_the_bill_compared_and_the_one_refreshed(
    billed,
    finance_officer,
    tmp_path,  # noqa: F811
):
    """The bill an import compares per enrolment, the statement's Jaring total it saves, and
    the total a credit refreshes are the same lines: this funder's invoice of the month, less
    what was credited — not another month's lines, nor another funder's for the same month."""
    source, enrolments = billed
    finance_services.bill_month(Region.objects.get(code=BENGKALIS), MAY, finance_officer)
    finance_services.credit_lines(  # one participant's May
        enrolments[7], InvoiceLine.objects.filter(month=MAY), "keluar Mei", finance_officer
    )
    other = FundingSource.objects.create(region_id=BENGKALIS, kind="csr", name="CSR Bengkalis")
    taken_over = Enrolment.objects.create(
        worker=enrolments[7].worker,
        source=other,
        status="ended",  # one open enrolment per worker: the other funder's May, ended since
        end_reason="budget_end",
        start_month=MAY,
        end_month=MAY,
        declared_income=1_000_000,
        kpj_number=enrolments[7].kpj_number,
    )
    InvoiceLine.objects.create(  # the same participant's May, billed to another funder instead
        invoice=Invoice.objects.create(source=other, month=MAY, number="TGH/CSR/2025-05"),
        enrolment=taken_over,
        worker_id=enrolments[7].worker_id,
        month=MAY,
        jkk_amount=10_000,
        jkm_amount=6_800,
        jht_amount=5_700,
        amount=22_500,
    )
    statements = {}
    for month in (APRIL, MAY):  # each lists nobody Jaring bills: all it bills is compared
        path = write_csv(
            tmp_path / f"tagihan-{month:%m}.csv",
            [["99999999999", "", f"{month:%Y-%m}", "16800", "AKTIF"]],
            header=HEADER,
        )
        statements[month] = recon.import_statement(source, month, path, finance_officer).statement
    for month, statement in statements.items():
        owed = owed_by_enrolment(source, month)
        # April: every participant billed (the fourth died before); May: the credited one is
        # owed by another funder, not this one
        assert len(owed) == (99 if month == APRIL else 98)
        assert (enrolments[7].pk in owed) == (month == APRIL)
        compared = statement.differences.filter(kind=rules.Kind.MISSING_AT_BPJS)
        assert dict(compared.values_list("enrolment_id", "ours_amount")) == owed
        assert statement.ours_total == sum(owed.values())
    both = Statement.objects.filter(pk__in=[s.pk for s in statements.values()])
    assert both.refresh_ours_total() == 2
    assert {s.pk: s.ours_total for s in both} == {s.pk: s.ours_total for s in statements.values()}
    # A credit over both months refreshes both totals.
    finance_services.credit_lines(enrolments[9], InvoiceLine.objects.all(), "keluar", None)
    for month, statement in statements.items():
        statement.refresh_from_db()
        owed = owed_by_enrolment(source, month)
        assert len(owed) == (98 if month == APRIL else 97)
        assert statement.ours_total == sum(owed.values())


def test_reimporting_the_same_statement_adds_nothing(billed, finance_officer, tmp_path):  # noqa: F811
    source, enrolments = billed
    path = write_csv(tmp_path / "tagihan-april.csv", statement_rows(enrolments), header=HEADER)
    first = recon.import_statement(source, APRIL, path, finance_officer)
    counts = (StatementLine.objects.count(), Difference.objects.count())
    again = recon.import_statement(source, APRIL, path, finance_officer)
    assert not again.created and again.statement.pk == first.statement.pk
    assert again.by_kind == first.by_kind
    assert (StatementLine.objects.count(), Difference.objects.count()) == counts


def test_a_branch_layout_is_data_and_excel_is_read(billed, finance_officer, tmp_path):  # noqa: F811
    source, enrolments = billed
    office = OrgUnit.objects.create(name="BPJS Duri", kind="bpjs", region_id=BENGKALIS)
    StatementFormat.objects.create(
        office=office,
        columns=[["KARTU", "kpj"], ["BLN", "period"], ["RUPIAH", "amount"], ["KONDISI", "status"]],
    )
    book = openpyxl.Workbook()
    book.active.append(["KARTU", "BLN", "RUPIAH", "KONDISI"])
    for row in statement_rows(enrolments):
        if row[0]:
            book.active.append([row[0], row[2], row[3], row[4]])
    path = tmp_path / "tagihan.xlsx"
    book.save(path)
    outcome = recon.import_statement(source, APRIL, path, finance_officer)
    kinds = dict(EXPECTED_KINDS)
    kinds[rules.Kind.MISSING_AT_BPJS] += 1  # index 8 had only a NIK, not in this layout
    assert outcome.by_kind == kinds
    without_kpj = tmp_path / "ohne.csv"
    write_csv(without_kpj, [["16800"]], header=["IURAN"])
    with pytest.raises(FileRefused, match="No KPJ"):
        recon.import_statement(source, APRIL, without_kpj, finance_officer)


def test_a_decision_records_who_when_why_and_credits_through_a_note(
    billed,
    finance_officer,
    make_user,
    tmp_path,  # noqa: F811
):
    source, enrolments = billed
    path = write_csv(tmp_path / "tagihan-april.csv", statement_rows(enrolments), header=HEADER)
    statement = recon.import_statement(source, APRIL, path, finance_officer).statement
    ended = statement.differences.get(kind=rules.Kind.ENDED_AT_BPJS)
    outsider = make_user("keuangan.siak", RoleCode.FINANCE_OFFICER, SIAK)
    with pytest.raises(PermissionDenied):
        recon.decide(ended, rules.Action.ACCEPT_BPJS, "cabang benar", outsider)
    with pytest.raises(ValidationError):
        recon.decide(ended, rules.Action.ACCEPT_BPJS, "  ", finance_officer)
    billed_before = finance_selectors.budget_lines(finance_officer, 2025)[0].billed
    decided = recon.decide(ended, rules.Action.ACCEPT_BPJS, "Tunggakan di cabang", finance_officer)
    assert (decided.acted_by, decided.note) == (finance_officer, "Tunggakan di cabang")
    note = CreditNote.objects.get(pk=decided.credit_note_id)
    assert note.total == PER_MONTH and note.enrolment_id == enrolments[5].pk
    assert set(InvoiceLine.objects.filter(credit_note=note).values_list("month", flat=True)) == {
        APRIL
    }
    line = finance_selectors.budget_lines(finance_officer, 2025)[0]
    assert line.billed == billed_before and line.credited == 2 * PER_MONTH  # + the death
    # The statement's "Jaring total" follows the credit (it is no longer owed).
    ours_before = statement.ours_total
    statement.refresh_from_db()
    assert statement.ours_total == ours_before - PER_MONTH
    with pytest.raises(ValidationError):
        recon.decide(ended, rules.Action.ASK_BRANCH, "lagi", finance_officer)
    asked = recon.decide(
        statement.differences.get(cause=rules.Cause.AMOUNT_HIGHER),
        rules.Action.ASK_BRANCH,
        "Minta cabang cek penghasilan",
        finance_officer,
    )
    assert asked.credit_note is None and CreditNote.objects.count() == 2
    assert ended.history.count() == 2  # created by the compare, then decided


def test_a_statement_file_is_purged_after_the_retention_period(billed, finance_officer, tmp_path):  # noqa: F811
    from pathlib import Path

    source, enrolments = billed
    path = write_csv(tmp_path / "tagihan-april.csv", statement_rows(enrolments), header=HEADER)
    statement = recon.import_statement(source, APRIL, path, finance_officer).statement
    kept = Path(statement.file_path)
    assert kept.is_file()
    out = io.StringIO()
    call_command("purge_personal_files", "--days", "1", "--json", stdout=out)
    assert json.loads(out.getvalue())["statement_files"] == 0 and kept.is_file()  # still young
    out = io.StringIO()
    call_command("purge_personal_files", "--days", "0", "--json", stdout=out)
    assert json.loads(out.getvalue())["statement_files"] == 1 and not kept.exists()
    statement.refresh_from_db()
    assert statement.file_path == "" and statement.differences.exists()  # the findings stay
    again = recon.import_statement(source, APRIL, path, finance_officer)
    assert not again.created  # the checksum still recognises the file


def test_the_command_imports_and_exports(billed, tmp_path, capsys):  # noqa: F811
    source, enrolments = billed
    path = write_csv(tmp_path / "tagihan-april.csv", statement_rows(enrolments), header=HEADER)
    out = tmp_path / "selisih.xlsx"
    call_command(
        "reconcile",
        str(path),
        "--region",
        BENGKALIS,
        "--source",
        source.name,
        "--month",
        "2025-04",
        "--xlsx",
        str(out),
        "--json",
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary["differences"] == {str(k): v for k, v in EXPECTED_KINDS.items()}
    assert summary["rejected"] == 6
    sheet = openpyxl.load_workbook(out)["Selisih"]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + sum(EXPECTED_KINDS.values())
    assert any("meninggal" in (r[6] or "").lower() for r in rows[1:])


@given(st.integers(min_value=0, max_value=10**12))
def test_rupiah_is_read_however_the_branch_writes_it(amount):
    grouped = f"{amount:,}"
    texts = [str(amount), grouped.replace(",", "."), grouped, f"Rp {grouped.replace(',', '.')},00"]
    frame = pl.DataFrame({"t": texts}).select(rules.rupiah_expr(pl.col("t")))
    assert frame["t"].to_list() == [amount] * len(texts)


@given(st.text(alphabet="0123456789.,-Rp x", max_size=12))
def test_rupiah_never_guesses(text):
    value = pl.DataFrame({"t": [text]}).select(rules.rupiah_expr(pl.col("t")))["t"][0]
    if value is not None:
        digits = "".join(c for c in text if c.isdigit())
        assert digits.startswith(str(value)) or int(digits) == value


@given(st.integers(min_value=2015, max_value=2100), st.integers(min_value=1, max_value=12))
def test_a_period_is_read_in_each_spelling(year, month):
    texts = [
        f"{year}-{month:02d}",
        f"{year}-{month:02d}-01",
        f"{month:02d}-{year}",
        f"{month}/{year}",
    ]
    frame = pl.DataFrame({"t": texts}).select(rules.period_expr(pl.col("t")).alias("t"))
    assert frame["t"].to_list() == [f"{year}-{month:02d}"] * len(texts)


def test_the_page_uploads_lists_decides_and_exports(billed, finance_officer, client, tmp_path):  # noqa: F811
    source, enrolments = billed
    path = write_csv(tmp_path / "tagihan-april.csv", statement_rows(enrolments), header=HEADER)
    client.force_login(finance_officer)
    with path.open("rb") as handle:
        response = client.post(
            reverse("finance:reconciliations"),
            {"source": source.pk, "month": "2025-04", "file": handle},
        )
    statement = Difference.objects.first().statement
    assert response.status_code == 302 and response.url == reverse(
        "finance:reconciliation", args=[statement.pk]
    )
    page = client.get(response.url)
    assert (
        "Meninggal dunia menurut Jaring" in page.text and "Nomor KPJ harus 11 digit." in page.text
    )
    higher = statement.differences.get(cause=rules.Cause.AMOUNT_HIGHER)
    # The finance officer has no personal-data right: KPJs masked (as on the invoice workbook),
    # the read logged and not cached.
    assert higher.kpj not in page.text and f"*******{higher.kpj[-4:]}" in page.text
    assert "no-store" in page["Cache-Control"]
    decided = client.post(
        reverse("finance:reconciliation_decide", args=[statement.pk]),
        {"difference": higher.pk, "action": "ask_branch", "note": "Cek penghasilan"},
    )
    assert decided.status_code == 302
    higher.refresh_from_db()
    assert (higher.action, higher.acted_by, higher.note) == (
        "ask_branch",
        finance_officer,
        "Cek penghasilan",
    )
    export = client.get(reverse("finance:reconciliation", args=[statement.pk]), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content)))["Selisih"]
    asked = [r for r in sheet.iter_rows(values_only=True) if r[8] == "Tanyakan ke cabang"]
    assert len(asked) == 1 and asked[0][9] == "Cek penghasilan" and asked[0][10] == "keuangan"
    logged = PersonalDataAccess.objects.filter(object_type="bpjs_reconciliation")
    assert set(logged.values_list("action", flat=True)) == {"view_list", "export"}
    assert logged.filter(action="export").count() == 1
    with path.open("rb") as handle:  # the same file again: the same statement, nothing added
        again = client.post(
            reverse("finance:reconciliations"),
            {"source": source.pk, "month": "2025-04", "file": handle},
        )
    assert again.url == response.url and Difference.objects.count() == sum(EXPECTED_KINDS.values())
