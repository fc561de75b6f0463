"""How personal data is shown to someone whose role does not allow the full value."""

import re

# A NIK is 16 digits; card, account and phone numbers are similar runs. Mask any run of 10 or
# more wherever free text leaves the process or is stored (logs, error reports, error columns).
_LONG_DIGITS = re.compile(r"\d{10,}")


def mask_nik(nik_hint: str) -> str:
    """``1403`` + ``0001`` → ``1403**********0001``."""
    return f"{nik_hint[:4]}{'*' * 10}{nik_hint[4:]}"


def nik_hint(nik: str) -> str:
    return nik[:4] + nik[-4:]


def mask_name(name: str) -> str:
    """``Safri Ismail`` → ``S**** I*****``: enough to tell rows apart, not to identify."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())


def mask_kpj(kpj: str) -> str:
    """``12345678901`` → ``*******8901``: the last four digits tell a member apart, no more."""
    return "*" * max(len(kpj) - 4, 0) + kpj[-4:]


def mask_personal(text: str) -> str:
    """Free text with any NIK-like digit run masked: ``… 1403021505800002 …`` → ``… 1403**…``."""
    return _LONG_DIGITS.sub(lambda m: m.group(0)[:4] + "*" * (len(m.group(0)) - 4), text)
