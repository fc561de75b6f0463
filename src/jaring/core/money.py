"""Reading rupiah as people type them: ``199.811.200``, ``Rp 199.811.200``, ``199811200``.

One parser for every amount a person or a spreadsheet gives (payment forms, the registry's
incomes); its vectorised twin for imports is ``registry.validation.rupiah_checks``.
"""

import re

# Rupiah as typed: Indonesian (1.500.000,00) or English (1,500,000.00) grouping, or none with
# a decimal point or comma (1000000.00). Sen must be zero: an amount is whole rupiah.
RUPIAH_FORMS = (
    r"^(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+)(?:,(?P<sen>[0-9]+))?$",
    r"^(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<sen>[0-9]+))?$",
    r"^(?P<whole>[0-9]+)(?:[.,](?P<sen>[0-9]+))?$",
)
# What a spreadsheet or a keyboard puts between digits (no-break space included).
SPACES = "[ \t\r\n\u00a0]"
MAX_RUPIAH_DIGITS = 15


def parse_rupiah(text: str) -> int | None:
    """Whole, non-negative rupiah from ``text``; None for a blank text.

    Raises ``ValueError`` for anything else — sen other than zero, a negative, words — which
    is refused, never guessed."""
    bare = re.sub(r"^[Rr][Pp]", "", re.sub(SPACES, "", str(text))).removesuffix(",-")
    if not bare:
        return None
    for form in RUPIAH_FORMS:
        found = re.fullmatch(form, bare)
        if found:
            whole = re.sub(r"[.,]", "", found["whole"]).lstrip("0") or "0"
            if (found["sen"] or "0").strip("0") or len(whole) > MAX_RUPIAH_DIGITS:
                break
            return int(whole)
    raise ValueError(f"not a whole rupiah amount: {text!r}")
