"""Pure rules about Kemendagri region codes and names (no database)."""

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from jaring.core.region_codes import Level, level_of
from jaring.core.text import name_key


def village_kind(code: str) -> str:
    """Kemendagri numbers a kelurahan's 4-digit part from 1xxx, a desa's from 2xxx."""
    if level_of(code) is not Level.VILLAGE:
        raise ValueError(f"{code} is not a desa/kelurahan code")
    return "kelurahan" if code.rsplit(".", 1)[1].startswith("1") else "desa"


def regency_kind(name: str) -> str:
    return "kota" if name.strip().lower().startswith("kota ") else "kabupaten"


# Words operators put before a name: "Ds. Kelebuk", "Kel. Damon", "Kec. Bantan".
KIND_PREFIXES = (
    "desa",
    "ds",
    "kelurahan",
    "kel",
    "kecamatan",
    "kec",
    "kampung",
    "kab",
    "kabupaten",
)
FUZZY_THRESHOLD = 85
FUZZY_MARGIN = 4


@dataclass(frozen=True)
class NameMatch:
    """A name resolved to a region code, or why it was not."""

    code: str | None
    score: float = 100.0
    fuzzy: bool = False
    problem: str | None = None  # "unknown" or "ambiguous"
    candidates: tuple[str, ...] = ()


def strip_kind_prefix(key: str) -> str:
    words = key.split()
    while len(words) > 1 and words[0] in KIND_PREFIXES:
        words = words[1:]
    return " ".join(words)


def match_name(query: str, candidates: list[tuple[str, str, str]]) -> NameMatch:
    """Resolve ``query`` among ``(code, name_key, display name)`` candidates.

    Exact (case-, spacing- and prefix-insensitive) first, then a fuzzy match that must clear
    ``FUZZY_THRESHOLD`` and beat the runner-up by ``FUZZY_MARGIN``; anything less is refused
    with the nearest names, never guessed.
    """
    key = strip_kind_prefix(name_key(query))
    if not key:
        return NameMatch(None, 0, problem="unknown")
    exact = [c for c in candidates if c[1] == key]
    if len(exact) == 1:
        return NameMatch(exact[0][0])
    if len(exact) > 1:
        return NameMatch(None, 100, problem="ambiguous", candidates=_labels(exact))
    ranked = process.extract(
        key, {i: c[1] for i, c in enumerate(candidates)}, scorer=fuzz.ratio, limit=3
    )
    if not ranked or ranked[0][1] < FUZZY_THRESHOLD:
        nearest = tuple(candidates[i] for _, _, i in ranked)
        return NameMatch(
            None, ranked[0][1] if ranked else 0, problem="unknown", candidates=_labels(nearest)
        )
    best = ranked[0]
    if len(ranked) > 1 and ranked[1][1] >= best[1] - FUZZY_MARGIN:
        close = tuple(candidates[i] for _, score, i in ranked if score >= best[1] - FUZZY_MARGIN)
        return NameMatch(None, best[1], problem="ambiguous", candidates=_labels(close))
    return NameMatch(candidates[best[2]][0], best[1], fuzzy=True)


def _labels(candidates) -> tuple[str, ...]:
    return tuple(f"{name} ({code})" for code, _, name in candidates)


def proportional_shares(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split over the keys in proportion to their weights, in whole units that add up
    to ``total`` exactly (the largest-remainder method: everyone gets the floor of their quota,
    the units left go to the largest remainders, ties to the smaller key). A key of weight 0
    gets nothing."""
    if total < 0 or any(weight < 0 for weight in weights.values()):
        raise ValueError("shares of a negative total or by negative weights")
    whole = sum(weights.values())
    if whole == 0:
        if total:
            raise ValueError("nothing to share in proportion to: every weight is 0")
        return dict.fromkeys(weights, 0)
    shares = {key: total * weight // whole for key, weight in weights.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(weights, key=lambda key: (-(total * weights[key] % whole), key))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares
