"""Which public figures to hide so that no count of 1–4 can be read or worked out.

Pure functions over the region tree (a value per region code, the children of each code); no
database. Every public page is one table: a region's total and its children's cells. A region's
number is the same wherever it appears (its own page's total, its parent page's cell), so the
decision to hide it is taken once for the whole tree and every page reads the same answer.

* Primary suppression: every count of 1–4 is hidden, at every level.
* Complementary suppression: in a table whose total is published, if cells are hidden, the next
  smallest non-zero cells are hidden too until at least two are hidden, they add up to at least
  5, and they are not all ones (hidden cells are non-zero: zeros are published). Then the total
  minus the published cells gives only a sum, never one cell's value.
* A hidden total hides every non-zero cell under it, so it cannot be added up again from below.
* A table no choice of cells can protect (say five villages of one worker each) hides its total,
  which the parent's table then treats like a small cell.
"""

from __future__ import annotations

SMALL_CELL = 5


def is_small(value: int) -> bool:
    return 0 < value < SMALL_CELL


def protect_table(cells: dict[str, int], forced: frozenset[str] | set[str] = frozenset()):
    """The cells to hide in a table whose total is published (``forced``: hide these too),
    or None when hiding cells cannot protect it."""
    hidden = {
        code for code, value in cells.items() if value and (is_small(value) or code in forced)
    }
    if not hidden:
        return set()
    spare = sorted((value, code) for code, value in cells.items() if value and code not in hidden)
    while not _safe([cells[code] for code in hidden]):
        if not spare:
            return None
        hidden.add(spare.pop(0)[1])
    return hidden


def _safe(hidden_values: list[int]) -> bool:
    total = sum(hidden_values)
    return len(hidden_values) >= 2 and total >= SMALL_CELL and total > len(hidden_values)


def hidden_regions(values: dict[str, int], parent_of: dict[str, str]) -> set[str]:
    """Every region whose number must not be published, for one measure of the whole tree
    (``values`` and ``parent_of`` keyed by region code; a code whose parent has no value is a
    root)."""
    children: dict[str, list[str]] = {}
    for code in sorted(values):
        children.setdefault(parent_of.get(code, ""), []).append(code)
    roots = [code for code in values if parent_of.get(code, "") not in values]
    forced: set[str] = set()
    for root in roots:
        _find_unprotectable(root, values, children, forced)
    hidden: set[str] = set()
    for root in roots:
        _mark(root, is_small(values[root]) or root in forced, values, children, forced, hidden)
    return hidden


def _find_unprotectable(code, values, children, forced: set[str]) -> None:
    kids = children.get(code, [])
    for kid in kids:
        _find_unprotectable(kid, values, children, forced)
    if kids and protect_table({kid: values[kid] for kid in kids}, forced) is None:
        forced.add(code)


def _mark(code, hide: bool, values, children, forced, hidden: set[str]) -> None:
    if hide:
        hidden.add(code)
    kids = children.get(code, [])
    if not kids:
        return
    if hide:
        hidden_kids = {kid for kid in kids if values[kid]}
    else:
        hidden_kids = protect_table({kid: values[kid] for kid in kids}, forced)
    for kid in kids:
        _mark(kid, kid in hidden_kids, values, children, forced, hidden)
