"""Bulk import of workers: real CSV/XLSX/XLS files, every outcome, atomicity, idempotency."""

import csv
import io
import json
import re
import threading
import zipfile
from collections import Counter

import openpyxl
import pytest
import xlwt
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jaring.core import crypto, sealed
from jaring.regions.models import Region
from jaring.registry import services
from jaring.registry.models import (
    DuplicateCandidate,
    ImportBatch,
    ImportRowIssue,
    ImportStaging,
    Worker,
)

HEADER = [
    "NIK",
    "Nama Lengkap",
    "Jenis Kelamin",
    "Tanggal Lahir",
    "Desa/Kelurahan",
    "Kecamatan",
    "Pekerjaan",
    "Penghasilan",
    "Desil",
    "No HP",
]
RUSNI = [
    "1403014101850001",
    "Rusni",
    "P",
    "01-01-1985",
    "Kelebuk",
    "Bengkalis",
    "Petani",
    "1.000.000",
    "1",
    "0812 3456 7890",
]
BAHTIAR = [
    "1403021505800002",
    "Bahtiar",
    "L",
    "15/05/1980",
    "Bantan Tua",
    "Bantan",
    "Nelayan",
    "",
    "2",
    "",
]
SAFRI = [
    "1403010203750003",
    "Safri Ismail",
    "L",
    "1975-03-02",
    "Perapat Tunggal",
    "Bengkalis",
    "buruh",
    "Rp 1.400.000",
    "1",
    "",
]


def write_csv(path, rows, header=HEADER, delimiter=";", encoding="utf-8"):
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, region="14.03", chunk_rows=50_000, **options) -> ImportBatch:
    batch = services.create_batch(path, Region.objects.get(code=region), "DTKS", **options)
    return services.run_import(batch, chunk_rows=chunk_rows)


@pytest.fixture
def bengkalis(riau_regions, occupations):
    return Region.objects.get(code="14.03")


def test_seed_workers_import_with_fuzzy_village_and_encrypted_nik(bengkalis, tmp_path):
    batch = run(write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI]))
    assert batch.summary() | {"batch": None, "seconds": None} == {
        "batch": None,
        "seconds": None,
        "status": "done",
        "rows": 3,
        "accepted": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "rejected": 0,
        "registered_elsewhere": 0,
        "warnings": 1,
        "dry_run": False,
    }
    safri = Worker.objects.get(full_name="Safri Ismail")
    assert safri.village_id == "14.03.01.2025"  # Prapat Tunggal, matched from "Perapat"
    warning = ImportRowIssue.objects.get(batch=batch, outcome="warning")
    assert warning.row_number == 4 and "Prapat Tunggal" in warning.message
    rusni = Worker.objects.get(full_name="Rusni")
    assert (rusni.sex, str(rusni.birth_date), rusni.desil) == ("P", "1985-01-01", 1)
    assert (rusni.declared_income, rusni.phone, rusni.occupation_id) == (
        1_000_000,
        "081234567890",
        "petani_pekebun",
    )
    assert (rusni.regency_code, rusni.district_code) == ("14.03", "14.03.01")
    assert b"1403014101850001" not in bytes(rusni.nik_cipher)
    assert crypto.decrypt_nik(rusni.nik_cipher) == "1403014101850001"
    assert rusni.nik_index == crypto.nik_index("1403014101850001")
    assert rusni.masked_nik == "1403**********0001"
    assert rusni.history.get().history_type == "+"
    assert not ImportStaging.objects.exists()


def test_reimporting_the_same_file_changes_nothing(bengkalis, tmp_path):
    path = write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI])
    run(path)
    again = run(path)
    assert (again.accepted, again.updated, again.unchanged) == (0, 0, 3)
    assert Worker.objects.count() == 3
    assert all(w.history.count() == 1 for w in Worker.objects.all())


def test_changed_rows_are_updated_with_history_and_blanks_keep_stored_values(bengkalis, tmp_path):
    run(write_csv(tmp_path / "first.csv", [RUSNI, BAHTIAR]))
    moved = RUSNI[:4] + ["Pedekik", "Bengkalis", "Nelayan", "", "", ""]
    batch = run(write_csv(tmp_path / "second.csv", [moved, BAHTIAR]))
    assert (batch.accepted, batch.updated, batch.unchanged) == (0, 1, 1)
    rusni = Worker.objects.get(full_name="Rusni")
    assert (rusni.village_id, rusni.occupation_id) == ("14.03.01.2005", "nelayan")
    # Blank income, desil and phone in the new file do not wipe what was known.
    assert (rusni.declared_income, rusni.desil, rusni.phone) == (1_000_000, 1, "081234567890")
    latest = rusni.history.latest()
    assert latest.history_type == "~" and latest.history_change_reason == f"Impor batch #{batch.pk}"
    assert latest.prev_record.village_id == "14.03.01.2022"


REJECTIONS = [
    (["", "Tanpa NIK", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""], "nik_missing"),
    (["3.20101E+15", "Excel", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""], "nik_scientific"),
    (
        ["14030141O1850001", "Huruf O", "P", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "nik_not_digits",
    ),
    (["140301410185001", "Pendek", "P", "", "Kelebuk", "Bengkalis", "", "", "", ""], "nik_length"),
    (
        ["9903010101900001", "Kode", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "nik_region_unknown",
    ),
    (
        ["1403019901900001", "Hari 99", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "nik_birth_date_invalid",
    ),
    (
        ["1403010101900000", "Serial", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "nik_serial_zero",
    ),
    (
        ["1403010101900007", "Jenis", "P", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "nik_sex_mismatch",
    ),
    (
        ["1403010101900008", "Lahir", "L", "02-01-1990", "Kelebuk", "Bengkalis", "", "", "", ""],
        "nik_birth_date_mismatch",
    ),
    (["1403010101900009", "", "L", "", "Kelebuk", "Bengkalis", "", "", "", ""], "name_missing"),
    (
        ["1403010101900010", "N" * 151, "L", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "name_too_long",
    ),
    (
        ["1403010101900011", "Kelamin", "X", "", "Kelebuk", "Bengkalis", "", "", "", ""],
        "sex_invalid",
    ),
    (
        ["1403010101900012", "Tanggal", "L", "kemarin", "Kelebuk", "Bengkalis", "", "", "", ""],
        "birth_date_invalid",
    ),
    (
        ["1403010101900013", "Tanpa Desa", "L", "", "", "Bengkalis", "", "", "", ""],
        "village_missing",
    ),
    (
        ["1403010101900014", "Desa", "L", "", "Jakarta", "Bengkalis", "", "", "", ""],
        "village_unknown",
    ),
    (["1403010101900015", "Kec", "L", "", "Kelebuk", "Gotham", "", "", "", ""], "district_unknown"),
    (
        ["1403010101900016", "Luar", "L", "", "14.08.01.2001", "", "", "", "", ""],
        "village_outside_region",
    ),
    (
        ["1403010101900017", "Uang", "L", "", "Kelebuk", "Bengkalis", "", "sejuta", "", ""],
        "income_invalid",
    ),
    (
        ["1403010101900018", "Desil", "L", "", "Kelebuk", "Bengkalis", "", "", "12", ""],
        "desil_invalid",
    ),
]


@pytest.mark.parametrize(("row", "code"), REJECTIONS, ids=[c for _, c in REJECTIONS])
def test_every_rejection_reason_is_reported_and_nothing_half_imported(
    bengkalis, tmp_path, row, code
):
    batch = run(write_csv(tmp_path / "bad.csv", [RUSNI, row]))
    assert (batch.rows, batch.accepted, batch.rejected) == (2, 1, 1)
    issue = ImportRowIssue.objects.get(batch=batch, outcome="rejected")
    assert code in issue.codes and issue.row_number == 3
    assert issue.message and (issue.raw["Nama Lengkap"] or "") == row[1]
    assert Worker.objects.count() == 1


def test_a_village_name_found_in_two_districts_is_refused_with_both_named(bengkalis, tmp_path):
    # Kabupaten Aceh Selatan (11.01) has a Desa Beutong in two kecamatan; without a kecamatan
    # the name is ambiguous and is never guessed.
    row = ["1101010101900021", "Ambigu", "L", "", "Beutong", "", "", "", "", ""]
    batch = run(write_csv(tmp_path / "amb.csv", [row]), region="11.01")
    issue = ImportRowIssue.objects.get(batch=batch)
    assert issue.codes == ["village_ambiguous"]
    assert "11.01.11.2006" in issue.message and "11.01.17.2008" in issue.message


def rejects_book(batch) -> io.BytesIO:
    """The rejects workbook as the operator downloads it (kept sealed at rest)."""
    return io.BytesIO(b"".join(sealed.unseal(services.rejects_workbook(batch))))


def test_rejects_file_holds_every_bad_row_as_it_came_with_reasons(bengkalis, tmp_path):
    rows = [RUSNI, *[r for r, _ in REJECTIONS[:5]], RUSNI]
    batch = run(write_csv(tmp_path / "mixed.csv", rows))
    assert (batch.rejected, batch.duplicates) == (5, 1)
    sheet = openpyxl.load_workbook(rejects_book(batch)).active
    table = list(sheet.iter_rows(values_only=True))
    assert list(table[0]) == [*HEADER, "Baris asal", "Alasan ditolak", "Kode alasan"]
    assert len(table) == 1 + 6
    assert [row[-3] for row in table[1:]] == [3, 4, 5, 6, 7, 8]
    assert table[2][0] == "3.20101E+15" and "ilmiah" in table[2][-2]
    assert table[-1][-1] == "duplicate_in_file" and "baris 2" in table[-1][-2]


def test_formula_in_a_cell_stays_inert_text_in_the_rejects_file(bengkalis, tmp_path):
    hostile = ["", '=HYPERLINK("http://evil","klik")', "L", "", "Kelebuk", "", "", "", "", ""]
    batch = run(write_csv(tmp_path / "evil.csv", [hostile]))
    with zipfile.ZipFile(rejects_book(batch)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # written as a string, never a formula


def test_a_failure_mid_batch_leaves_the_registry_exactly_as_before(
    bengkalis, tmp_path, monkeypatch
):
    run(write_csv(tmp_path / "first.csv", [RUSNI]))
    before = list(Worker.objects.values_list("id", "full_name", "village_id"))
    calls = {"n": 0}
    real_stage = services._stage

    def stage_then_fail(batch, unique, foreign):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full (injected)")
        real_stage(batch, unique, foreign)

    monkeypatch.setattr(services, "_stage", stage_then_fail)
    moved = RUSNI[:4] + ["Pedekik", "Bengkalis", "", "", "", ""]
    batch = services.create_batch(
        write_csv(tmp_path / "second.csv", [moved, BAHTIAR, SAFRI]), bengkalis, "DTKS"
    )
    batch = services.run_import(batch, chunk_rows=1)
    assert batch.status == "failed" and "disk full" in batch.error
    assert list(Worker.objects.values_list("id", "full_name", "village_id")) == before
    assert not ImportRowIssue.objects.filter(batch=batch).exists()
    assert not ImportStaging.objects.exists()


def test_dry_run_counts_everything_and_changes_nothing(bengkalis, tmp_path):
    batch = run(write_csv(tmp_path / "dry.csv", [RUSNI, BAHTIAR, REJECTIONS[0][0]]), dry_run=True)
    assert (batch.status, batch.accepted, batch.rejected) == ("done", 2, 1)
    assert not Worker.objects.exists()
    # Its refused rows are rolled back with the rest: the workbook was written before.
    assert not ImportRowIssue.objects.filter(batch=batch).exists()
    table = list(openpyxl.load_workbook(rejects_book(batch)).active.iter_rows(values_only=True))
    assert len(table) == 1 + 1 and table[1][-3] == 4


def test_chunked_import_equals_single_chunk(bengkalis, tmp_path):
    rows = [RUSNI, BAHTIAR, SAFRI, RUSNI, REJECTIONS[3][0]]
    batch = run(write_csv(tmp_path / "chunks.csv", rows), chunk_rows=2)
    assert (batch.rows, batch.accepted, batch.duplicates, batch.rejected) == (5, 3, 1, 1)
    # Each chunk is merged on its own: every worker has its one creation in the history.
    created = Worker.history.filter(history_type="+").values_list("id", flat=True)
    assert Counter(created) == Counter(Worker.objects.values_list("id", flat=True))
    warning = ImportRowIssue.objects.get(batch=batch, outcome="warning")  # a village read fuzzily
    assert warning.worker_id == Worker.objects.get(full_name="Safri Ismail").pk
    changed = [RUSNI[:4] + ["Pedekik", "Bengkalis", "", "", "", ""], BAHTIAR, SAFRI]
    batch = run(write_csv(tmp_path / "again.csv", changed), chunk_rows=1)
    assert (batch.updated, batch.unchanged) == (1, 2)
    assert Worker.history.filter(history_type="~").count() == 1


def test_a_duplicate_case_found_by_a_later_chunk_warns_both_rows(bengkalis, tmp_path):
    twin = ["1403014101850099", "RUSNI", "P", "01-01-1985", "Kelebuk", "Bengkalis", "", "", "", ""]
    batch = run(write_csv(tmp_path / "twin.csv", [RUSNI, BAHTIAR, twin]), chunk_rows=1)
    assert DuplicateCandidate.objects.get().found_in_batch == batch
    warned = ImportRowIssue.objects.filter(batch=batch, codes=["possible_duplicate"])
    assert sorted(warned.values_list("row_number", flat=True)) == [2, 4]
    assert all(issue.worker_id is not None for issue in warned)


def test_the_checking_thread_never_touches_the_database(bengkalis, tmp_path, monkeypatch):
    """Chunks are checked in a thread of their own (core.bulk.read_ahead): a query there would
    run on a connection of its own, outside the import's transaction."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    real, threads = BaseDatabaseWrapper.ensure_connection, []

    def ensure_connection(self):
        threads.append(threading.current_thread().name)
        return real(self)

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", ensure_connection)
    batch = run(write_csv(tmp_path / "a.csv", [RUSNI, BAHTIAR, SAFRI]), chunk_rows=1)
    assert batch.accepted == 3
    assert threads and not [name for name in threads if name.startswith("read-ahead")]


def test_same_name_birth_and_village_with_another_nik_is_flagged_not_merged(bengkalis, tmp_path):
    twin = ["1403014101850099", "RUSNI", "P", "01-01-1985", "Kelebuk", "Bengkalis", "", "", "", ""]
    batch = run(write_csv(tmp_path / "twin.csv", [RUSNI, twin]))
    assert batch.accepted == 2
    candidate = DuplicateCandidate.objects.get()
    assert candidate.status == "open" and candidate.found_in_batch == batch
    assert {candidate.worker.full_name, candidate.other.full_name} == {"Rusni", "RUSNI"}
    run(write_csv(tmp_path / "twin.csv", [RUSNI, twin]))
    assert DuplicateCandidate.objects.count() == 1


def test_windows_1252_comma_csv_with_english_headers(bengkalis, tmp_path):
    header = ["National ID", "Full Name", "Sex", "Date of Birth", "Village", "District"]
    header[0] = "NIK"
    rows = [["1403014101850001", "Rusni Andréa", "F", "1985-01-01", "KELEBUK", "BENGKALIS"]]
    batch = run(
        write_csv(tmp_path / "en.csv", rows, header=header, delimiter=",", encoding="cp1252")
    )
    assert batch.accepted == 1
    assert Worker.objects.get().full_name == "Rusni Andréa"


def test_xlsx_with_a_nik_stored_as_a_number_and_real_dates(bengkalis, tmp_path):
    import datetime

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["No KTP", "Nama", "L/P", "Tgl Lahir", "Desa", "Kec"])
    sheet.append(
        ["1403014101850001", "Rusni", "P", datetime.datetime(1985, 1, 1), "Kelebuk", "Bengkalis"]
    )
    sheet.append([1403021505800002, "Bahtiar", "L", 29356, "Bantan Tua", "Bantan"])
    sheet.append([None, None, None, None, None, None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    batch = run(path)
    assert (batch.rows, batch.accepted, batch.rejected) == (2, 1, 1)
    issue = ImportRowIssue.objects.get(batch=batch)
    assert issue.codes == ["nik_scientific"] and issue.row_number == 3


def test_legacy_xls_files_are_read(bengkalis, tmp_path):
    book = xlwt.Workbook()
    sheet = book.add_sheet("Data")
    for column, title in enumerate(["NIK", "Nama Lengkap", "Desa/Kelurahan", "Kecamatan"]):
        sheet.write(0, column, title)
    for column, value in enumerate(["1403021505800002", "Bahtiar", "Bantan Tua", "Bantan"]):
        sheet.write(1, column, value)
    path = tmp_path / "lama.xls"
    book.save(str(path))
    assert run(path).accepted == 1


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("list.xlsx", b"NIK;Nama\n1;2\n", "bukan .xlsx"),
        ("list.csv", b"\x00\x01\x02binary", "tidak dikenal"),
        ("empty.csv", b"", "kosong"),
        ("cols.csv", b"Nama;Alamat\nRusni;Kelebuk\n", "Kolom wajib tidak ditemukan: NIK"),
    ],
)
def test_unusable_files_fail_with_a_clear_message(bengkalis, tmp_path, name, content, fragment):
    path = tmp_path / name
    path.write_bytes(content)
    batch = run(path)
    assert batch.status == "failed" and fragment in batch.error
    assert not Worker.objects.exists()


def test_zip_bombs_are_refused_before_parsing(bengkalis, tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (40 * 1024 * 1024))
    batch = run(path)
    assert batch.status == "failed" and "zip bomb" in batch.error


def test_cli_prints_the_json_summary_and_writes_rejects(bengkalis, tmp_path, capsys):
    source = write_csv(tmp_path / "cli.csv", [RUSNI, BAHTIAR, REJECTIONS[1][0], RUSNI])
    rejects = tmp_path / "out.xlsx"
    call_command(
        "import_workers",
        str(source),
        "--region",
        "14.03",
        "--source",
        "P3KE",
        "--rejects",
        str(rejects),
        "--json",
    )
    summary = json.loads(capsys.readouterr().out)
    assert {k: summary[k] for k in ("rows", "accepted", "updated", "duplicates", "rejected")} == {
        "rows": 4,
        "accepted": 2,
        "updated": 0,
        "duplicates": 1,
        "rejected": 1,
    }
    assert ImportBatch.objects.get(pk=summary["batch"]).source == "P3KE"
    assert len(list(openpyxl.load_workbook(rejects).active.iter_rows())) == 3


def test_cli_refuses_unknown_regions_and_missing_files(bengkalis, tmp_path):
    with pytest.raises(CommandError, match="not a kabupaten"):
        call_command(
            "import_workers", str(write_csv(tmp_path / "a.csv", [RUSNI])), "--region", "99.99"
        )
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_workers", str(tmp_path / "nope.csv"), "--region", "14.03")


def test_nik_blind_index_is_unique_in_the_database(bengkalis, tmp_path):
    from django.db import IntegrityError, transaction

    run(write_csv(tmp_path / "one.csv", [RUSNI]))
    rusni = Worker.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.create(
            nik_index=rusni.nik_index,
            nik_cipher=b"x",
            nik_hint="14030001",
            full_name="Lain",
            name_key="lain",
            sex="P",
            birth_date=rusni.birth_date,
            village_id=rusni.village_id,
            occupation_id="lainnya",
        )


def test_csv_reader_accepts_a_stream_of_quoted_fields(bengkalis, tmp_path):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=",", quoting=csv.QUOTE_ALL).writerows(
        [HEADER, ["1403014101850001", "Rusni, binti Ahmad", "P", "", "Kelebuk", "", "", "", "", ""]]
    )
    path = tmp_path / "quoted.csv"
    path.write_text(buffer.getvalue())
    assert run(path).accepted == 1
    assert Worker.objects.get().full_name == "Rusni, binti Ahmad"


def test_generated_messy_file_is_sorted_into_exactly_the_flaws_it_was_given(bengkalis, tmp_path):
    from jaring.registry.synthetic import write_csv as write_synthetic

    path = tmp_path / "synthetic.csv"
    flaws = write_synthetic(path, "14.03", rows=600, bad_share=0.2, seed=7)
    batch = run(path, chunk_rows=128)
    rejected = sum(n for flaw, n in flaws.items() if flaw not in {"ok", "duplicate_in_file"})
    assert (batch.rows, batch.duplicates, batch.rejected) == (
        600,
        flaws["duplicate_in_file"],
        rejected,
    )
    assert batch.accepted == flaws["ok"]
    codes = Counter(
        code
        for issue in ImportRowIssue.objects.filter(batch=batch, outcome="rejected")
        for code in issue.codes
    )
    for flaw in (
        "nik_scientific",
        "nik_birth_date_invalid",
        "village_unknown",
        "nik_sex_mismatch",
        "name_missing",
    ):
        assert codes[flaw] == flaws[flaw], flaw


def test_a_national_list_spreads_by_population_and_each_file_imports_into_its_kabupaten(
    bengkalis, tmp_path, capsys
):
    """``jaring generate-workers --national``: one file per kabupaten/kota with villages, the
    rows within one of each one's population share and adding up to the total, each file's
    workers living in its own kabupaten (the import accepts them all there), the same files on
    every run."""
    call_command(
        "generate_workers", tmp_path / "a", "--national", "--rows", "700", "--bad-share", "0"
    )
    written = {
        code: r["rows"] for code, r in json.loads(capsys.readouterr().out)["regencies"].items()
    }
    inhabited = {code[:5] for code in Region.objects.filter(level=4).values_list("code", flat=True)}
    populations = dict(
        Region.objects.filter(level=2, code__in=inhabited).values_list("code", "population_total")
    )
    whole = sum(populations.values())
    assert sum(written.values()) == 700
    assert set(written) <= set(populations)
    for code, population in populations.items():
        assert abs(written.get(code, 0) * whole - 700 * population) < whole, code
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(f"{c}.csv" for c in written)
    for code, rows in written.items():
        with (tmp_path / "a" / f"{code}.csv").open(encoding="utf-8") as handle:
            niks = [row[0] for row in csv.reader(handle, delimiter=";")][1:]
        assert len(niks) == rows
        assert {nik[:4] for nik in niks} == {code.replace(".", "")}
    batch = run(tmp_path / "a" / "14.03.csv")
    assert (batch.rows, batch.accepted, batch.rejected) == (written["14.03"],) * 2 + (0,)
    call_command(
        "generate_workers", tmp_path / "b", "--national", "--rows", "700", "--bad-share", "0"
    )
    assert all(
        (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        for name in (f"{code}.csv" for code in written)
    )


def test_a_national_list_refuses_what_would_mix_or_lose_lists(riau_regions, tmp_path):
    target = tmp_path / "list.csv"
    target.write_text("")
    with pytest.raises(CommandError, match="not a directory"):
        call_command("generate_workers", target, "--national", "--rows", "10")
    with pytest.raises(CommandError, match=r"holds \.csv files already: name an empty directory$"):
        call_command("generate_workers", tmp_path, "--national", "--rows", "10")
    with pytest.raises(CommandError, match="not allowed with"):
        call_command("generate_workers", tmp_path / "x", "--national", "--region", "14.03")
    with pytest.raises(CommandError, match="exclude each other"):
        call_command("generate_workers", tmp_path / "x", national=True, region="14.03")


def test_a_national_list_needs_the_regions_and_writes_nothing_without_them(db, tmp_path):
    with pytest.raises(CommandError, match="every weight is 0.*load_regions"):
        call_command("generate_workers", tmp_path / "y", "--national", "--rows", "10")
    assert not (tmp_path / "y").exists()  # refused before anything was written


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's planner and its statistics"
)
def test_each_chunk_is_looked_up_by_the_blind_index_whatever_the_statistics(bengkalis, tmp_path):
    """A region's first import fills the worker table in its own transaction while PostgreSQL
    still holds the statistics of the table it found (here: analysed empty). Planned on them,
    each chunk's look-up read every worker inserted so far into a hash (at 1M rows 0.37 s for
    the first chunk, 1.5 s for the last): it must go by the unique blind index, every chunk."""
    from jaring.registry.synthetic import write_csv as write_synthetic

    path = tmp_path / "first.csv"
    write_synthetic(path, "14.03", rows=600, bad_share=0.0, seed=11)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_worker")
    plans = []

    def explain(execute, sql, params, many, context):
        if sql.startswith("WITH found AS"):
            context["cursor"].execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(line for (line,) in context["cursor"].fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        batch = run(path, chunk_rows=100)
    assert batch.accepted > 500 and len(plans) > 1  # chunks of 100 rows
    for plan in plans:
        assert "worker_nik_index_unique" in plan, plan
        assert "Seq Scan on registry_worker" not in plan, plan
        assert not re.search(r"Hash( \w+)? Join", plan), plan


def test_an_import_creates_its_workers_in_the_file_order(bengkalis, tmp_path):
    """A batch's workers share their creation time: their ids then rank equals for coverage
    (finance.planning.PRIORITY, "who registered first"), so they follow the file's rows."""
    from jaring.registry.synthetic import write_csv as write_synthetic

    path = tmp_path / "order.csv"
    write_synthetic(path, "14.03", rows=300, bad_share=0.0, seed=5)
    batch = run(path, chunk_rows=120)
    refs = Worker.objects.order_by("id").values_list("source_ref", flat=True)
    rows = [int(ref.rsplit("#", 1)[1]) for ref in refs]
    assert batch.accepted == len(rows) > 250 and rows == sorted(rows)
