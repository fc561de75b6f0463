"""Text folding shared by every comparison of names an operator typed (people, places, headers)."""

import re
import unicodedata

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """The form names are compared in: case, accents, punctuation and spacing do not count.

    "KELEBUK", " Kelebuk " and "Bantan  Tua" match "Kelebuk" and "Bantan Tua".
    """
    folded = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode()
    return _NON_ALNUM.sub(" ", folded).strip()
