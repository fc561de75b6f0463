"""Pure claim rules: Indonesian working days, the service level, the checklist, bank accounts."""

import datetime

from hypothesis import given
from hypothesis import strategies as st

from jaring.claims import rules
from jaring.programs.rulebook import default_rulebook
from jaring.programs.rules import Event, Program

D = datetime.date
days = st.dates(min_value=D(2020, 1, 1), max_value=D(2030, 12, 31))


def test_holidays_and_cuti_bersama_are_not_working_days():
    assert not rules.is_working_day(D(2025, 8, 17))  # Hari Kemerdekaan (a Sunday)
    assert not rules.is_working_day(D(2025, 8, 18))  # cuti bersama
    assert rules.add_working_days(D(2025, 8, 15), 1) == D(2025, 8, 19)
    # Idul Fitri 1446 H: 31 March – 7 April 2025 are holidays or cuti bersama.
    assert rules.add_working_days(D(2025, 3, 27), 1) == D(2025, 4, 8)
    assert rules.working_days_between(D(2025, 3, 27), D(2025, 4, 8)) == 1


@given(days, st.integers(min_value=0, max_value=40))
def test_adding_working_days_lands_on_a_working_day_that_many_days_later(start, n):
    end = rules.add_working_days(start, n)
    assert rules.working_days_between(start, end) == n
    if n:
        assert end > start and rules.is_working_day(end)
    else:
        assert end == start


@given(days, st.sampled_from([Program.JKM, Program.JKK]))
def test_the_overdue_cutoff_separates_late_from_on_time(today, program):
    book = default_rulebook()
    target = book.at("claims.service_level", today).value[f"{program.value.lower()}_working_days"]
    cutoff = rules.latest_overdue_receipt(book, program, today)
    assert rules.add_working_days(cutoff, target) < today
    assert rules.add_working_days(cutoff + datetime.timedelta(days=1), target) >= today


@given(days, st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=10**9))
def test_late_payment_compensation_is_one_percent_per_working_day(complete, taken, total):
    book = default_rulebook()
    paid = rules.add_working_days(complete, taken)
    level = rules.service_level(book, Program.JKM, complete, paid, paid, total)
    assert level.working_days_taken == taken
    assert level.days_late == max(0, taken - 3)
    assert level.late_penalty == (level.days_late * total + 50) // 100  # half-up, whole rupiah
    assert not level.overdue


def test_a_claim_bpjs_has_not_received_has_no_deadline():
    level = rules.service_level(default_rulebook(), Program.JKK, None, None, D(2025, 1, 1), 10)
    assert (level.target_days, level.due, level.overdue) == (7, None, False)


def test_the_checklist_adds_the_marriage_book_and_the_police_report_only_when_needed():
    book = default_rulebook()
    plain, ref = rules.required_documents(book, Event.DEATH, D(2025, 8, 1), False, False)
    assert "marriage_book" not in plain and "police_report" not in plain
    assert ref == "claims.documents@2015-07-01"
    spouse, _ = rules.required_documents(book, Event.DEATH, D(2025, 8, 1), True, True)
    assert spouse == [*plain, "marriage_book", "police_report"]
    own, _ = rules.required_documents(book, Event.TOTAL_DISABILITY, D(2025, 8, 1), True, False)
    assert "marriage_book" not in own and "ktp_participant" in own


@given(st.text(alphabet="0123456789 -.", min_size=0, max_size=30))
def test_account_numbers_keep_only_their_digits(raw):
    number, problem = rules.normalise_account_number(raw)
    digits = "".join(ch for ch in raw if ch.isdigit())
    if 6 <= len(digits) <= 20:
        assert (number, problem) == (digits, None)
        assert rules.mask_account(number) == "••••" + digits[-4:]
    else:
        assert number is None and problem in {"account_missing", "account_length"}


def test_account_numbers_with_letters_are_refused():
    assert rules.normalise_account_number("12345O789") == (None, "account_not_digits")


def test_documents_are_recognised_by_their_bytes_not_their_names():
    assert rules.sniff_document_type(b"%PDF-1.7\n...") == "application/pdf"
    assert rules.sniff_document_type(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00") == "image/jpeg"
    assert rules.sniff_document_type(b"MZ\x90\x00\x03") is None  # a Windows executable
    assert rules.sniff_document_type(b"<html><script>") is None
