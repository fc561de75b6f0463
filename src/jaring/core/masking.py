"""How personal data is shown to someone whose role does not allow the full value."""


def mask_nik(nik_hint: str) -> str:
    """``1403`` + ``0001`` → ``1403**********0001``."""
    return f"{nik_hint[:4]}{'*' * 10}{nik_hint[4:]}"


def nik_hint(nik: str) -> str:
    return nik[:4] + nik[-4:]


def mask_name(name: str) -> str:
    """``Safri Ismail`` → ``S**** I*****``: enough to tell rows apart, not to identify."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in name.split())
