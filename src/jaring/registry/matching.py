"""Resolving what operators typed to reference data: villages (by code or name) and occupations.

Each resolver reads its reference rows once and caches every answer, so a column with a
few hundred distinct village names costs a few hundred look-ups, whatever the file's size.
"""

from __future__ import annotations

import re
from functools import cache

from jaring.core.text import name_key
from jaring.regions import rules as region_rules
from jaring.regions.models import Level, Region
from jaring.registry.models import Occupation
from jaring.registry.validation import VillageMatch

_VILLAGE_CODE = re.compile(r"^(\d{2})\.?(\d{2})\.?(\d{2})\.?(\d{4})$")
FALLBACK_OCCUPATION = "lainnya"


def _candidates(queryset) -> list[tuple[str, str, str]]:
    return [
        (code, key, name) for code, key, name in queryset.values_list("code", "name_key", "name")
    ]


def village_resolver(region: Region):
    """A function (village, district) -> VillageMatch within ``region``'s subtree."""
    inside = Region.objects.filter(code__startswith=region.code + ".")
    villages = _candidates(inside.filter(level=Level.VILLAGE))
    districts = _candidates(inside.filter(level=Level.DISTRICT))
    if region.level == Level.DISTRICT:
        districts = [(region.code, region.name_key, region.name)]
    village_codes = {code for code, _, _ in villages}

    @cache
    def resolve(village: str | None, district: str | None) -> VillageMatch:
        if not village:
            return VillageMatch(None, "village_missing")
        code = _VILLAGE_CODE.match(village.replace(" ", ""))
        if code:
            dotted = ".".join(code.groups())
            if dotted in village_codes:
                return VillageMatch(dotted)
            return VillageMatch(
                None,
                "village_outside_region",
                detail=f"Kode {dotted} tidak berada di {region.name}.",
            )
        pool = villages
        if district:
            found = region_rules.match_name(district, districts)
            if found.code is None:
                return VillageMatch(None, "district_unknown", detail=_candidates_text(found))
            pool = [v for v in villages if v[0].startswith(found.code + ".")]
        found = region_rules.match_name(village, pool)
        if found.code is None:
            problem = "village_ambiguous" if found.problem == "ambiguous" else "village_unknown"
            detail = (_elsewhere_text(village, district) if district else "") or (
                _candidates_text(found)
            )
            return VillageMatch(None, problem, detail=detail)
        if found.fuzzy:
            name = next(n for c, _, n in pool if c == found.code)
            detail = (
                f"«{village}» dibaca sebagai {name} ({found.code}), kemiripan {found.score:.0f}%."
            )
            return VillageMatch(found.code, warning="village_fuzzy", detail=detail)
        return VillageMatch(found.code)

    def _elsewhere_text(village: str, district: str) -> str:
        """A village named under the wrong kecamatan: say which kecamatan it is in."""
        exact = region_rules.match_name(village, villages)
        if exact.code is None or exact.fuzzy:
            return ""
        name = next(n for c, _, n in villages if c == exact.code)
        in_district = next((n for c, _, n in districts if exact.code.startswith(c + ".")), "")
        return (
            f"Desa/kelurahan {name} ({exact.code}) berada di Kecamatan {in_district}, "
            f"bukan di Kecamatan {district}."
        )

    return resolve


def _candidates_text(found: region_rules.NameMatch) -> str:
    return f"Kandidat: {', '.join(found.candidates)}." if found.candidates else ""


def occupation_resolver():
    """A function raw text -> (occupation code, warning code or None)."""
    spellings: dict[str, str] = {}
    for code, name, synonyms in Occupation.objects.values_list("code", "name", "synonyms"):
        for spelling in [code, name, *synonyms.splitlines()]:
            if spelling.strip():
                spellings[name_key(spelling)] = code

    @cache
    def resolve(raw: str | None) -> tuple[str, str | None]:
        if not raw:
            return FALLBACK_OCCUPATION, None
        code = spellings.get(name_key(raw))
        return (code, None) if code else (FALLBACK_OCCUPATION, "occupation_unknown")

    return resolve
