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

from jaring.core.formatting import ribuan

BOUNDARIES = Path(__file__).resolve().parent.parent / "regions" / "data" / "boundaries"
# Coverage classes (percent) and their colours, light to dark (ColorBrewer YlGn, 5 classes).
CLASSES = [(0, "#ffffcc"), (20, "#c2e699"), (40, "#78c679"), (60, "#31a354"), (80, "#006837")]
NO_DATA = "#e5e7eb"
HIDDEN = "#9ca3af"


@lru_cache(maxsize=64)
def features_under(parent_code: str) -> tuple[dict, ...]:
    """Boundary features of the regions directly under ``parent_code``: the provinces of the
    country (``ID``), the kabupaten/kota of a province, the kecamatan or desa of a region."""
    if parent_code == "ID":
        return _features("prov.geojson.gz", "", 0)
    depth = parent_code.count(".")
    if depth == 0:
        source = "kab.geojson.gz"
    elif depth == 1:
        source = "kec.geojson.gz"
    elif depth == 2:
        source = f"desa_{parent_code[:5]}.geojson.gz"
    else:
        return ()
    return _features(source, parent_code + ".", depth + 1)


def _features(source: str, prefix: str, depth: int) -> tuple[dict, ...]:
    path = BOUNDARIES / source
    if not path.exists():
        return ()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    return tuple(
        f
        for f in features
        if f["properties"]["code"].startswith(prefix)
        and f["properties"]["code"].count(".") == depth
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
    hidden: bool = False  # a public figure withheld (reports.disclosure): not coloured by it

    @property
    def fill(self) -> str:
        return HIDDEN if self.hidden else colour(self.rate)

    @property
    def caption(self) -> str:
        if self.hidden:
            return "*"
        return "—" if self.rate is None else f"{self.rate}%".replace(".", ",")


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        yield from geometry["coordinates"]
    elif geometry["type"] == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def choropleth(parent_code: str, areas: dict[str, Area], width: int = 720, title: str = "") -> str:
    """An SVG map of the regions under ``parent_code``: each filled by its coverage class,
    titled, linked when it has a page."""
    height, outlines = _outlines(parent_code, width)
    if not outlines:
        return ""
    shapes = []
    for code, name, path in outlines:
        area = areas.get(code, Area(code, name, None))
        shape = (
            f'<path d="{path}" fill="{area.fill}" stroke="#374151" stroke-width="0.6" '
            f'data-code="{escape(code)}"><title>{escape(area.label)}: {area.caption}</title></path>'
        )
        if area.href:
            shape = f'<a href="{escape(area.href)}">{shape}</a>'
        shapes.append(shape)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        # A group, not an image: its regions are links a keyboard reaches (axe: nested-interactive).
        f'class="map" role="group" aria-label="{escape(title)}">{"".join(shapes)}</svg>'
    )


@lru_cache(maxsize=64)
def _outlines(parent_code: str, width: int) -> tuple[int, tuple[tuple[str, str, str], ...]]:
    """The map's height and each region's (code, name, SVG path), projected once per process:
    the country's outlines take a second to draw, the figures that colour them change."""
    features = features_under(parent_code)
    points = [p for f in features for ring in _rings(f["geometry"]) for p in ring]
    if not points:
        return 0, ()
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    squeeze = math.cos(math.radians((north + south) / 2))
    scale = width / max((east - west) * squeeze, 1e-9)

    def outline(ring) -> str:
        # A point on the same pixel as the last one drawn adds nothing the eye can see: the
        # whole country stays a page of kilobytes, not megabytes.
        drawn, last = [], None
        for lon, lat in ring:
            here = (round((lon - west) * squeeze * scale), round((north - lat) * scale))
            if here != last:
                drawn.append(f"{here[0]},{here[1]}")
                last = here
        return "M" + " L".join(drawn) + " Z" if len(drawn) > 2 else ""

    outlines = []
    for feature in features:
        path = " ".join(filter(None, (outline(ring) for ring in _rings(feature["geometry"]))))
        if path:
            props = feature["properties"]
            outlines.append((props["code"], props["name"], path))
    return max(1, round((north - south) * scale)), tuple(outlines)


def legend(with_hidden: bool = False) -> list[tuple[str, str]]:
    """The map's key: each coverage class, then the regions without a figure."""
    bounds = [floor for floor, _ in CLASSES] + [100]
    keys = [(f"{bounds[i]}–{bounds[i + 1]}%", fill) for i, (_, fill) in enumerate(CLASSES)]
    keys.append((gettext("no figures or no workforce estimate"), NO_DATA))
    if with_hidden:
        keys.append((gettext("hidden (*): fewer than 5"), HIDDEN))
    return keys


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | None  # None: withheld (a public count of 1–4)


def bar_chart(bars: list[Bar], width: int = 720, height: int = 240, title: str = "") -> str:
    """Vertical bars (months, kecamatan) over a value axis with gridlines, each bar's value
    written above it and its label underneath."""
    if not bars:
        return ""
    left, top_pad, bottom = 56, 18, 30
    plot = height - top_pad - bottom
    top = _nice_ceiling(max((b.value or 0) for b in bars))
    slot = (width - left) / len(bars)
    parts = [
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot}" stroke="#374151"/>',
        f'<line x1="{left}" y1="{top_pad + plot}" x2="{width}" y2="{top_pad + plot}" '
        'stroke="#374151"/>',
    ]
    for step in range(5):
        value = top * step // 4
        y = top_pad + plot - plot * value / top
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width}" y2="{y:.1f}" stroke="#e5e7eb"/>'
            f'<text x="{left - 6}" y="{y + 3:.1f}" font-size="10" text-anchor="end" '
            f'fill="#374151">{ribuan(value)}</text>'
        )
    small = len(bars) > 12  # many bars: values written upright so they do not overlap
    for index, bar in enumerate(bars):
        centre = left + index * slot + slot / 2
        value = bar.value or 0
        height_px = plot * value / top
        y = top_pad + plot - height_px
        shown = "*" if bar.value is None else ribuan(value)
        parts.append(
            f'<rect x="{centre - slot * 0.35:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{height_px:.1f}" fill="#0f6b4f"><title>{escape(bar.label)}: {shown}'
            "</title></rect>"
        )
        rotate = f' transform="rotate(-90 {centre:.1f} {y - 4:.1f})"' if small else ""
        anchor = "start" if small else "middle"
        parts.append(
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" font-size="9" text-anchor="{anchor}" '
            f'fill="#1d2733"{rotate}>{shown}</text>'
            f'<text x="{centre:.1f}" y="{height - 12}" font-size="9" text-anchor="middle" '
            f'fill="#374151">{escape(bar.label)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(title)}">{"".join(parts)}</svg>'
    )


def _nice_ceiling(value: int) -> int:
    """The axis' top: the value rounded up to 1, 2, 2,5 or 5 times a power of ten (at least 4,
    so the four gridlines fall on whole numbers)."""
    if value <= 4:
        return 4
    power = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power and (step * power) % 4 == 0:
            return int(step * power)
    return 10 * power
