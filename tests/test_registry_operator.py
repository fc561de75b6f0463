"""What an operator meets around an import (issue #16, registry): workbooks that keep every digit,
the import template, per-row warnings, forgiving phones and amounts, reasons with their detail,
and the worker pages (edit, search, filters, telling namesakes apart)."""

import ast
import datetime
import io
import json
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.styles.numbers import BUILTIN_FORMATS

from jaring.core import sealed, spreadsheets
from jaring.core.spreadsheets import open_sheet
from jaring.regions.models import Region
from jaring.registry import rules, services
from jaring.registry.models import ImportRowIssue, Worker
from jaring.registry.template import import_template_xlsx
from jaring.registry.validation import phone_checks, rupiah_checks
from jaring.registry.worker_sheet import TEMPLATE_COLUMNS, WORKER_LIST
from tests.conftest import BENGKALIS
from tests.test_registry_import import BAHTIAR, HEADER, RUSNI, SAFRI, run, write_csv

SRC = Path(__file__).resolve().parent.parent / "src" / "jaring"


@pytest.fixture
def bengkalis(riau_regions, occupations):
    return Region.objects.get(code=BENGKALIS)


def _write_xlsx(path, header, rows):
    """A workbook as Excel keeps it: numbers typed into General cells are number cells."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for col, title in enumerate(header):
        sheet.write_string(0, col, title)
    for r, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, (int, float)):
                sheet.write_number(r, col, value)
            elif value:
                sheet.write_string(r, col, value)
    book.close()
    return path


def _column_formats(path) -> dict[str, str]:
    """Header title -> number format of its column, as Excel will apply it to retyped cells."""
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    formats = {}
    for cell in sheet[1]:
        letter = cell.column_letter
        dimension = sheet.column_dimensions[letter]
        style = book._cell_styles[dimension.style_id] if dimension.style_id else None
        number_id = style.numFmtId if style else 0
        formats[cell.value] = (
            BUILTIN_FORMATS.get(number_id)
            if number_id < 164
            else book._number_formats[number_id - 164]
        )
    return formats


# --- Workbooks ---------------------------------------------------------------------------------


def test_rejects_give_back_each_cell_as_read_with_text_columns_and_widths(bengkalis, tmp_path):
    # The NIK is an exact number cell (a program wrote it): never "1.40301E+15" again, and it
    # stays refused, because a number cell cannot say whether Excel dropped its 16th digit.
    nik_number = 1403011505800004
    rows = [
        [nik_number, "Angka", "L", "", "Kelebuk", "Bengkalis", "", 1400000, 3, 81265432101],
        [
            "1403010101900011",
            "Kelamin",
            "X",
            "",
            "Kelebuk",
            "Bengkalis",
            "",
            "1.400.000",
            "Desil 2",
            "0812 3",
        ],
    ]
    batch = run(_write_xlsx(tmp_path / "angka.xlsx", HEADER, rows))
    assert batch.rejected == 2
    path = tmp_path / "ditolak.xlsx"  # as downloaded: kept sealed, decrypted on the way out
    sealed.unseal_to(services.rejects_workbook(batch), path)
    sheet = openpyxl.load_workbook(path).active
    table = list(sheet.iter_rows(values_only=True))
    first, second = table[1], table[2]
    assert first[0] == "1403011505800004"  # every digit, as text
    assert first[7] == 1400000 and first[8] == 3  # a number as read stays a number
    assert first[9] == "81265432101"
    assert second[7] == "1.400.000" and second[8] == "Desil 2"  # text as read stays text
    issue = ImportRowIssue.objects.get(batch=batch, row_number=2)
    assert issue.codes == ["nik_scientific"]
    formats = _column_formats(path)
    assert formats["NIK"] == "@" and formats["No HP"] == "@"  # retyping keeps it text
    assert formats["Nama Lengkap"] == "@"
    widths = {c.value: sheet.column_dimensions[c.column_letter].width for c in sheet[1]}
    assert widths["NIK"] >= 20 and widths["Alasan ditolak"] >= 60
    reason = [c.value for c in sheet[1]].index("Alasan ditolak") + 1
    assert sheet.cell(2, reason).alignment.wrap_text  # a long reason wraps, readable
    assert not sheet.cell(2, 2).alignment.wrap_text
    assert sheet.freeze_panes == "A2"  # the header stays in view


def test_a_16_digit_number_cell_is_the_pure_rules_nik_scientific():
    assert rules.normalise_nik(1403011505800004.0) == (None, "nik_scientific")
    assert rules.normalise_nik(1403011505800004) == (None, "nik_scientific")
    assert rules.normalise_nik("1403011505800004") == ("1403011505800004", None)


def test_every_workbook_jaring_writes_goes_through_the_one_table_writer():
    """No module but core.spreadsheets adds worksheets itself (the demo's simulated BPJS reply
    is the other side's file, not Jaring's)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.name == "spreadsheets.py" and path.parent.name == "core":
            continue
        if path.parent.name == "demo":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "add_worksheet":
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_the_table_writer_formats_identifiers_as_text_and_numbers_as_numbers(tmp_path):
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    columns = spreadsheets.fitted_columns(
        ["Kode", "Wilayah", "Terdaftar"], [["14.03", "=cmd()", 30257]], identifiers=("Kode",)
    )
    table = spreadsheets.TableSheet(book, "Per wilayah", columns)
    table.add(["14.03", "=cmd()", 30257])
    book.close()
    sheet = openpyxl.load_workbook(path).active
    assert [c.value for c in sheet[2]] == ["14.03", "'=cmd()", 30257]
    assert sheet["C2"].number_format == "#,##0" and sheet["A2"].number_format == "@"
    assert _column_formats(path)["Kode"] == "@"
    assert [c.kind for c in columns] == [
        spreadsheets.IDENTIFIER,
        spreadsheets.TEXT,
        spreadsheets.NUMBER,
    ]


# --- The import template -----------------------------------------------------------------------


def test_the_template_has_the_columns_a_sample_row_validation_and_an_explanation(
    bengkalis, tmp_path
):
    path = tmp_path / "templat.xlsx"
    path.write_bytes(import_template_xlsx())
    book = openpyxl.load_workbook(path)
    data, help_sheet = book["Pekerja"], book["Petunjuk"]
    headers = [c.value for c in data[1]]
    assert headers == [header for _f, header, *_r in TEMPLATE_COLUMNS]
    layout = open_sheet(path, WORKER_LIST).layout
    assert set(layout.fields) == {field for field, *_r in TEMPLATE_COLUMNS}  # every column read
    sample = {h: c.value for h, c in zip(headers, data[2], strict=True)}
    assert sample["NIK"] == "1403014101850001" and sample["Jenis Kelamin"] == "P"
    rules_by_column = {}
    for validation in data.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            rules_by_column[headers[cell_range.min_col - 1]] = validation
    assert rules_by_column["Jenis Kelamin"].type == "list"
    assert rules_by_column["Jenis Kelamin"].formula1 == '"L,P"'
    assert rules_by_column["Tanggal Lahir"].type == "date"
    desil = rules_by_column["Desil"]
    assert (desil.type, desil.formula1, desil.formula2) == ("whole", "1", "10")
    assert _column_formats(path)["NIK"] == "@"
    explained = {row[0]: row[2] for row in help_sheet.iter_rows(min_row=2, values_only=True)}
    assert all(explained.get(h) for h in headers)
    assert "16 digit" in explained["NIK"]
    # Uploaded unchanged, the template adds nobody: the sample names no real village.
    batch = run(path)
    assert (batch.accepted, batch.rejected) == (0, 1)
    assert ImportRowIssue.objects.get(batch=batch).codes == ["village_unknown"]


def test_the_import_page_links_the_template(bengkalis, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    page = client.get(reverse("registry:imports"))
    link = reverse("registry:import_template")
    assert f'href="{link}"' in page.text
    response = client.get(link)
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheets.XLSX_CONTENT_TYPE
    assert "templat-impor-pekerja.xlsx" in response["Content-Disposition"]


# --- Warnings per row, with the worker they became ---------------------------------------------


def test_warnings_are_listed_per_row_with_a_link_to_the_worker(
    bengkalis, bengkalis_operator, client, tmp_path
):
    batch = run(write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR, SAFRI]))
    safri = Worker.objects.get(full_name="Safri Ismail")
    client.force_login(bengkalis_operator)
    page = client.get(reverse("registry:import_detail", args=[batch.pk])).text
    row = re.search(r'<tr class="warning" data-row="4">(.*?)</tr>', page, re.S).group(1)
    assert "Prapat Tunggal" in row and "97%" in row
    assert f'href="{reverse("registry:worker", args=[safri.pk])}"' in row


def test_cli_json_lists_each_warning_row_with_its_worker(bengkalis, tmp_path):
    out = io.StringIO()
    path = write_csv(tmp_path / "seed.csv", [RUSNI, SAFRI])
    call_command("import_workers", str(path), "--region", BENGKALIS, "--json", stdout=out)
    summary = json.loads(out.getvalue())
    safri = Worker.objects.get(full_name="Safri Ismail")
    assert summary["warnings"] == 1
    [warning] = summary["warning_rows"]
    assert warning["row"] == 3 and warning["codes"] == ["village_fuzzy"]
    assert "Prapat Tunggal" in warning["message"]
    assert warning["worker"] == safri.pk
    assert warning["worker_url"] == reverse("registry:worker", args=[safri.pk])


# --- Phones, amounts, trailing separators ------------------------------------------------------


def test_a_phone_that_lost_its_zero_is_repaired_and_a_bad_one_dropped_with_warnings(
    bengkalis, tmp_path
):
    lost_zero = [*RUSNI[:9], "81265432101"]
    bad = [*BAHTIAR[:9], "123"]
    batch = run(write_csv(tmp_path / "hp.csv", [lost_zero, bad]))
    assert (batch.accepted, batch.rejected, batch.warnings) == (2, 0, 2)
    assert Worker.objects.get(full_name="Rusni").phone == "081265432101"
    assert Worker.objects.get(full_name="Bahtiar").phone == ""
    codes = dict(ImportRowIssue.objects.filter(batch=batch).values_list("row_number", "codes"))
    assert codes == {2: ["phone_repaired"], 3: ["phone_dropped"]}


@pytest.mark.parametrize(
    ("written", "expected"),
    [("1000000.00", 1_000_000), ("1.400.000,00", 1_400_000), ("1,400,000.00", 1_400_000)],
)
def test_an_income_with_decimals_is_read_never_multiplied(bengkalis, tmp_path, written, expected):
    batch = run(write_csv(tmp_path / "uang.csv", [[*RUSNI[:7], written, *RUSNI[8:]]]))
    assert batch.accepted == 1
    assert Worker.objects.get().declared_income == expected


def test_an_income_with_sen_is_refused(bengkalis, tmp_path):
    batch = run(write_csv(tmp_path / "sen.csv", [[*RUSNI[:7], "1.400.000,50", *RUSNI[8:]]]))
    assert batch.rejected == 1
    assert ImportRowIssue.objects.get().codes == ["income_invalid"]


def test_an_income_off_the_bpjs_table_is_refused_in_the_import_and_the_form(
    bengkalis, tmp_path, make_user
):
    batch = run(write_csv(tmp_path / "tabel.csv", [[*RUSNI[:7], "1.150.000", *RUSNI[8:]]]))
    assert batch.rejected == 1
    assert ImportRowIssue.objects.get().codes == ["income_not_in_table"]
    data = services.WorkerInput(
        nik=RUSNI[0],
        full_name="Rusni",
        sex=RUSNI[2],
        birth_date=datetime.date(1985, 1, 1),
        village_code="",
        declared_income=1_150_000,
    )
    village = Region.objects.get(name="Kelebuk", code__startswith=BENGKALIS + ".")
    with pytest.raises(ValidationError) as refused:
        services.register_worker(data, village, make_user("op", is_superuser=True))
    assert refused.value.code == "income_not_in_table"
    assert "Rp1.000.000 / Rp1.200.000" in refused.value.messages[0]


def test_a_csv_whose_lines_end_in_a_separator_reads_like_the_same_file_without(bengkalis, tmp_path):
    plain = write_csv(tmp_path / "plain.csv", [RUSNI, BAHTIAR])
    trailing = tmp_path / "trailing.csv"
    trailing.write_text(
        "".join(line + ";\n" for line in plain.read_text().splitlines()), encoding="utf-8"
    )
    read = [pl.concat(list(open_sheet(p, WORKER_LIST).chunks)) for p in (plain, trailing)]
    assert read[0].equals(read[1])
    batch = run(trailing)
    assert (batch.status, batch.accepted) == ("done", 2)


# Property tests: the Polars twins agree with the pure rules on anything typed.
typed = st.text(alphabet="0123456789.,-+' ()Rrp\u00a0\tOxE٣", max_size=22)


def _twin(check, raws):
    value, code = check(pl.col("v"))
    frame = pl.DataFrame({"v": pl.Series(raws, dtype=pl.String)})
    return frame.select(value.alias("value"), code.alias("code")).rows()


@given(st.lists(typed, min_size=1, max_size=20))
def test_vectorised_rupiah_agrees_with_the_pure_rule(raws):
    assert _twin(rupiah_checks, raws) == [rules.parse_rupiah(r) for r in raws]


@given(st.lists(typed, min_size=1, max_size=20))
def test_vectorised_phone_agrees_with_the_pure_rule(raws):
    assert _twin(phone_checks, raws) == [rules.parse_phone(r) for r in raws]


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["id", "en", "plain"]))
def test_rupiah_with_zero_sen_in_any_style_is_the_amount(amount, style):
    if style == "id":
        written = "Rp " + f"{amount:,}".replace(",", ".") + ",00"
    elif style == "en":
        written = f"{amount:,}.00"
    else:
        written = f"{amount}.00"
    assert rules.parse_rupiah(written) == (amount, None)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=1, max_value=99))
def test_rupiah_with_sen_is_refused_never_scaled(amount, sen):
    for written in (f"{amount}.{sen:02d}", f"{amount:,}.{sen:02d}".replace(",", "_")):
        value, code = rules.parse_rupiah(written.replace("_", ","))
        assert value is None and code == "income_invalid"


@given(st.from_regex(r"8[0-9]{8,11}", fullmatch=True))
def test_a_mobile_number_without_its_zero_gets_it_back(digits):
    assert rules.parse_phone(digits) == ("0" + digits, "phone_repaired")
    assert rules.parse_phone("0" + digits) == ("0" + digits, None)


# --- Reasons keep their detail -----------------------------------------------------------------


def test_a_village_code_outside_the_region_says_so(bengkalis, tmp_path):
    row = ["1403010101900016", "Luar", "L", "", "14.08.01.2001", "", "", "", "", ""]
    run(write_csv(tmp_path / "luar.csv", [row]))
    issue = ImportRowIssue.objects.get()
    assert "Kode 14.08.01.2001 tidak berada di" in issue.message
    assert "Bengkalis" in issue.message


def test_a_village_under_the_wrong_kecamatan_names_the_right_one(bengkalis, tmp_path):
    row = [*RUSNI[:4], "Kelebuk", "Bantan", *RUSNI[6:]]
    run(write_csv(tmp_path / "kec.csv", [row]))
    issue = ImportRowIssue.objects.get()
    assert issue.codes == ["village_unknown"]
    assert "Kelebuk (14.03.01.2022) berada di Kecamatan Bengkalis" in issue.message
    assert "bukan di Kecamatan Bantan" in issue.message


# --- The worker pages --------------------------------------------------------------------------


@pytest.fixture
def seeded(bengkalis, tmp_path):
    run(write_csv(tmp_path / "seed.csv", [RUSNI, BAHTIAR]))
    return Worker.objects.get(full_name="Rusni")


def test_a_worker_is_edited_with_a_reason_and_moved_within_the_region(
    seeded, bengkalis_operator, client
):
    client.force_login(bengkalis_operator)
    detail = client.get(reverse("registry:worker", args=[seeded.pk])).text
    edit = reverse("registry:worker_edit", args=[seeded.pk])
    assert f'href="{edit}"' in detail
    form = client.get(edit)
    assert form.status_code == 200 and "Bantan — Bantan Air" in form.text
    answer = client.post(
        edit,
        {
            "phone": "81298765432",
            "address": "Jl. Baru 1",
            "rt_rw": "002/003",
            "village": "14.03.02.2002",
            "occupation": "petani_pekebun",
            "reason": "Pindah rumah, laporan kepala desa",
        },
    )
    assert answer.status_code == 302
    seeded.refresh_from_db()
    assert (seeded.phone, seeded.address, seeded.rt_rw, seeded.village_id) == (
        "081298765432",
        "Jl. Baru 1",
        "002/003",
        "14.03.02.2002",
    )
    latest = seeded.history.latest()
    assert latest.history_change_reason == "Pindah rumah, laporan kepala desa"
    assert latest.history_user == bengkalis_operator


def test_an_edit_without_a_reason_changes_nothing(seeded, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    edit = reverse("registry:worker_edit", args=[seeded.pk])
    page = client.post(
        edit,
        {"phone": "", "address": "X", "village": seeded.village_id, "occupation": "petani_pekebun"},
    )
    assert page.status_code == 200
    seeded.refresh_from_db()
    assert seeded.address == ""


def test_the_duplicates_review_is_in_the_menu(bengkalis, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    home = client.get(reverse("home")).text
    assert f'href="{reverse("registry:duplicates")}"' in home


def test_a_partial_nik_search_says_that_16_digits_are_needed(seeded, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    partial = client.get(reverse("registry:workers"), {"q": "14030141"}).text
    assert 'id="partial-nik"' in partial and "16" in partial
    whole = client.get(reverse("registry:workers"), {"q": "1403014101850001"}).text
    assert 'id="partial-nik"' not in whole and "Rusni" in whole


def test_choosing_a_kecamatan_fills_the_village_filter(seeded, bengkalis_operator, client):
    client.force_login(bengkalis_operator)
    page = client.get(reverse("registry:workers"), {"district": "14.03.02"}).text
    assert 'value="14.03.02.2002"' in page and 'value="14.03.01.2022"' not in page
    assert "jaring/worker-filter.js" in page  # a district change asks the server again
    script = (SRC / "static" / "jaring" / "worker-filter.js").read_text()
    assert "id_district" in script and "submit()" in script


def test_namesakes_are_told_apart_by_birth_date_and_village(
    bengkalis, bengkalis_operator, client, tmp_path
):
    namesake = ["1403021505800010", "Rusni", "L", "", "Bantan Air", "Bantan", "", "", "", ""]
    run(write_csv(tmp_path / "dua.csv", [RUSNI, namesake]))
    client.force_login(bengkalis_operator)
    page = client.get(reverse("registry:workers"), {"q": "rusni"}).text
    assert "1 Januari 1985" in page and "15 Mei 1980" in page
    assert "Kelebuk, Bengkalis" in page and "Bantan Air, Bantan" in page
