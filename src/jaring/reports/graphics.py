"""Maps and charts drawn on the server as SVG: no tiles, no script, the same in the browser, in
the PDF report and on an intranet without internet.

The choropleth projects the shipped Kemendagri boundaries (longitude/latitude) onto the page
with the latitude scaled by cos(latitude) — near the equator that is all the projection needs.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from html import escape
from pathlib import Path

from django.utils.translation import gettext

BOUNDARIES = Path(__file__).resolve().parent.parent / "regions" / "data" / "boundaries"
# Coverage classes (percent) and their colours, light to dark (ColorBrewer YlGn, 5 classes).
CLASSES = [(0, "#ffffcc"), (20, "#c2e699"), (40, "#78c679"), (60, "#31a354"), (80, "#006837")]
NO_DATA = "#e5e7eb"


@lru_cache(maxsize=64)
def features_under(parent_code: str) -> tuple[dict, ...]:
    """Boundary features of the regions directly under ``parent_code`` (kecamatan or desa)."""
    depth = parent_code.count(".")
    if depth == 1:
        source = "kec.geojson.gz"
    elif depth == 2:
        source = f"desa_{parent_code[:5]}.geojson.gz"
    else:
        return ()
    path = BOUNDARIES / source
    if not path.exists():
        return ()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    prefix = parent_code + "."
    return tuple(
        f
        for f in features
        if f["properties"]["code"].startswith(prefix)
        and f["properties"]["code"].count(".") == depth + 1
    )


def colour(rate: Decimal | None) -> str:
    if rate is None:
        return NO_DATA
    chosen = CLASSES[0][1]
    for floor, fill in CLASSES:
        if rate >= floor:
            chosen = fill
    return chosen


@dataclass(frozen=True)
class Area:
    code: str
    label: str
    rate: Decimal | None
    href: str = ""


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def choropleth(features, areas: dict[str, Area], width: int = 720) -> str:
    """An SVG map: each region filled by its coverage class, titled, linked when it has a page."""
    rings = [(f["properties"]["code"], ring) for f in features for ring in _rings(f["geometry"])]
    if not rings:
        return ""
    lons = [p[0] for _, ring in rings for p in ring]
    lats = [p[1] for _, ring in rings for p in ring]
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    squeeze = math.cos(math.radians((north + south) / 2))
    scale = width / max((east - west) * squeeze, 1e-9)
    height = max(1, round((north - south) * scale))

    def point(lon: float, lat: float) -> str:
        return f"{(lon - west) * squeeze * scale:.1f},{(north - lat) * scale:.1f}"

    shapes = []
    for feature in features:
        code = feature["properties"]["code"]
        area = areas.get(code, Area(code, feature["properties"]["name"], None))
        path = " ".join(
            "M" + " L".join(point(lon, lat) for lon, lat in ring) + " Z"
            for ring in _rings(feature["geometry"])
        )
        rate = "—" if area.rate is None else f"{area.rate}%".replace(".", ",")
        shape = (
            f'<path d="{path}" fill="{colour(area.rate)}" stroke="#374151" stroke-width="0.6" '
            f'data-code="{escape(code)}"><title>{escape(area.label)}: {rate}</title></path>'
        )
        if area.href:
            shape = f'<a href="{escape(area.href)}">{shape}</a>'
        shapes.append(shape)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        # A group, not an image: its regions are links a keyboard reaches (axe: nested-interactive).
        f'class="map" role="group" aria-label="{escape(gettext("Map of coverage by region"))}">'
        f"{''.join(shapes)}</svg>"
    )


def legend() -> list[tuple[str, str]]:
    bounds = [floor for floor, _ in CLASSES] + [100]
    return [(f"{bounds[i]}–{bounds[i + 1]}%", fill) for i, (_, fill) in enumerate(CLASSES)] + [
        ("—", NO_DATA)
    ]


def bar_chart(bars: list[tuple[str, int]], width: int = 720, height: int = 220) -> str:
    """Vertical bars with their labels underneath (months, kecamatan)."""
    if not bars:
        return ""
    top = max(value for _, value in bars) or 1
    slot = width / len(bars)
    plot = height - 40
    parts = []
    for index, (label, value) in enumerate(bars):
        bar = plot * value / top
        x = index * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{plot - bar + 10:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar:.1f}" fill="#0f6b4f"><title>{escape(label)}: {_thousands(value)}'
            "</title></rect>"
        )
        parts.append(
            f'<text x="{index * slot + slot / 2:.1f}" y="{height - 12}" font-size="10" '
            f'text-anchor="middle" fill="#374151">{escape(label)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(_chart_summary(bars))}">'
        f"{''.join(parts)}</svg>"
    )


def _chart_summary(bars: list[tuple[str, int]]) -> str:
    """What the bars show, read out by a screen reader in place of the picture."""
    return "; ".join(f"{label}: {_thousands(value)}" for label, value in bars)


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")
