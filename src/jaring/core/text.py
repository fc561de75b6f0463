"""Text folding shared by every comparison of names an operator typed (people, places, headers)."""

import re
import unicodedata

# Marks written inside a word ("Ma'ruf", "Pu’uk", "Ba`u"): dropped, never a word break. Some
# decompose to a space (´), some to an apostrophe (＇): they go before and after NFKD.
INNER_MARKS = "'`\u00b4\u2018\u2019\u02bb\u02bc\uff07"
_INNER_MARKS = re.compile(f"[{INNER_MARKS}]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """The form names are compared in: case, accents, punctuation and spacing do not count.

    "KELEBUK", " Kelebuk " and "Bantan  Tua" match "Kelebuk" and "Bantan Tua"; an apostrophe
    inside a word is dropped ("Ma'ruf" → "maruf"). Words stay apart (region names are matched
    word by word); :func:`person_key` also ignores where words break ("MA RUF" → "maruf").
    """
    unmarked = _INNER_MARKS.sub("", name.casefold())
    folded = unicodedata.normalize("NFKD", unmarked).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", _INNER_MARKS.sub("", folded)).strip()


def person_key(name: str) -> str:
    """The key people's names are matched by: :func:`name_key` without word breaks.

    "Ma'ruf", "Maruf" and "MA RUF" all give "maruf" (the registry's ``Worker.name_key``).
    """
    return name_key(name).replace(" ", "")


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit written as an ASCII digit; nothing else changes.

    A NIK typed on a phone set to Arabic (١٤٠٣…), on a full-width keyboard (１４０３…) or in
    any other script's digits is the same NIK. Every place that reads a NIK from a person (the
    search, the import, the API, the forms) passes it through here first.
    """
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)
