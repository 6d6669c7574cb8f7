"""Page geometry for the PDF reader: columns, reading order, and no page furniture.

A private helper of ``fulltext/pdf.py``. From the lines of ``_pdf_chars`` it removes running
headers and footers, page numbers and the arXiv side stamp, finds the gutter of two-column pages
from where lines start and end, and orders each page: full-width bands top to bottom, inside a
two-column band the left column, then the right. It knows nothing about sections or references.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

from ._pdf_chars import Line, clean_text

__all__ = ["body_font_size", "layout_document", "line_pitch", "remove_furniture"]

_ARXIV_STAMP_RE = re.compile(
    r"^arXiv:\s*\d{4}\.\d{4,5}(?:v\d+)?\s*\[[\w.\-]+\]\s*\d{1,2}\s+\w{3}\s+\d{4}$"
)
_PAGE_NUMBER_RE = re.compile(
    r"^(?:page\s+)?[-–—\s]*\d{1,4}[-–—\s]*(?:(?:/|of)\s*\d{1,4})?$|^[ivxlc]{1,7}$", re.IGNORECASE
)
#: Part of the page (top and bottom) where running headers, footers and page numbers live.
_ZONE = 0.2


def body_font_size(pages: list[list[Line]]) -> float:
    """The font size most characters of the document are set in."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def line_pitch(lines: list[Line], body: float) -> float:
    """The usual baseline-to-baseline distance of consecutive body lines."""
    pitches: Counter[float] = Counter()
    for prev, line in itertools.pairwise(lines):
        if line.region_start or abs(line.size - body) > 0.6 or abs(prev.size - body) > 0.6:
            continue
        pitch = line.baseline - prev.baseline
        if 0.9 * body < pitch < 2.0 * body:
            pitches[round(pitch * 2) / 2] += 1
    return pitches.most_common(1)[0][0] if pitches else 1.2 * body


def _furniture_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip(" .,;:|-–—")


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def remove_furniture(pages: list[list[Line]], heights: list[float], title: str) -> None:
    """Drop running headers/footers, page numbers and the arXiv stamp from every page, in place.

    Candidates are the first two and last two rows of a page that lie in its top or bottom
    fifth. A candidate goes if it is a page number, if its text (digits ignored) recurs among the
    candidates of at least a quarter of the pages, or if it repeats the title after page one.
    """
    candidates = [_edge_lines(lines, height) for lines, height in zip(pages, heights, strict=True)]
    seen: Counter[str] = Counter()
    for edge in candidates:
        seen.update({k for k in (_furniture_key(ln.text) for ln in edge) if k})
    repeat = max(2, math.ceil(0.25 * len(pages)))
    title_key = _letters(title)
    for index, (lines, edge) in enumerate(zip(pages, candidates, strict=True)):
        drop = {
            id(ln)
            for ln in edge
            if _PAGE_NUMBER_RE.match(ln.text)
            or (len(pages) > 2 and seen[_furniture_key(ln.text)] >= repeat)
            or (index > 0 and title_key and _letters(ln.text) == title_key)
        }
        lines[:] = [ln for ln in lines if id(ln) not in drop and not _ARXIV_STAMP_RE.match(ln.text)]


def _edge_lines(lines: list[Line], height: float) -> list[Line]:
    """The lines of the first two and the last two rows of a page, if near the page's edge."""
    rows = sorted({round(ln.baseline) for ln in lines})
    if not rows:
        return []
    merged: list[int] = []
    for row in rows:
        if not merged or row - merged[-1] > 2:
            merged.append(row)
    top_rows, bottom_rows = merged[:2], merged[-2:]
    edge = []
    for line in lines:
        row = round(line.baseline)
        near_top = any(abs(row - r) <= 2 for r in top_rows) and line.bottom < _ZONE * height
        near_bottom = (
            any(abs(row - r) <= 2 for r in bottom_rows) and line.top > (1 - _ZONE) * height
        )
        if near_top or near_bottom:
            edge.append(line)
    return edge


def _gutter(lines: list[Line], width: float) -> tuple[float, float] | None:
    """The x of a two-column gutter and how sure we are (0..1), or None for one column."""
    if len(lines) < 12:
        return None
    lo = min(ln.x0 for ln in lines)
    hi = max(ln.x1 for ln in lines)
    span = hi - lo
    if span < 0.4 * width:
        return None
    total = sum(len(ln.text) for ln in lines)
    best: tuple[int, float, float] | None = None
    x = lo + 0.3 * span
    while x < lo + 0.7 * span:
        cross = sum(len(ln.text) for ln in lines if ln.x0 < x - 2 and ln.x1 > x + 2)
        key = (cross, abs(x - (lo + hi) / 2))
        if best is None or key < best[:2]:
            best = (cross, key[1], x)
        x += 2.0
    if best is None:
        return None
    cross, _, gx = best
    left = [ln for ln in lines if ln.x1 <= gx + 2]
    right = [ln for ln in lines if ln.x0 >= gx - 2]
    wide_left = sum(1 for ln in left if ln.width >= 0.6 * (gx - lo))
    wide_right = sum(1 for ln in right if ln.width >= 0.6 * (hi - gx))
    left_chars = sum(len(ln.text) for ln in left)
    right_chars = sum(len(ln.text) for ln in right)
    balance = min(left_chars, right_chars) / total
    # A clean gutter needs little text on the short side (the last page's last column).
    if cross > 0.4 * total or balance < (0.03 if cross <= 0.05 * total else 0.15):
        return None
    if min(wide_left, wide_right) < 3:
        return None
    return gx, 1.0 - cross / total


def _merge_rows(lines: list[Line]) -> list[Line]:
    """Sort one column top-down and join the pieces that share a baseline, left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: (ln.baseline, ln.x0)):
        if rows:
            row = rows[-1]
            ref = row[0]
            if abs(line.baseline - ref.baseline) < 0.3 * max(ref.size, line.size):
                row.append(line)
                continue
        rows.append([line])
    merged = []
    for row in rows:
        if len(row) == 1:
            merged.append(row[0])
            continue
        row.sort(key=lambda ln: ln.x0)
        first = row[0]
        merged.append(
            Line(
                page=first.page,
                x0=first.x0,
                top=min(ln.top for ln in row),
                x1=max(ln.x1 for ln in row),
                bottom=max(ln.bottom for ln in row),
                baseline=first.baseline,
                text=clean_text(" ".join(ln.text for ln in row)),
                size=Counter(ln.size for ln in row for _ in ln.text).most_common(1)[0][0],
                bold=sum(ln.bold * len(ln.text) for ln in row) / sum(len(ln.text) for ln in row),
                lead=first.lead,
                cells=sum(ln.cells for ln in row),
            )
        )
    return merged


def _set_column(lines: list[Line], body: float) -> None:
    """Mark the first line of a column region and record the column's left and right edges."""
    if not lines:
        return
    main = [ln for ln in lines if abs(ln.size - body) <= 0.6] or lines
    x0s = sorted(ln.x0 for ln in main)
    x1s = sorted(ln.x1 for ln in main)
    left = x0s[len(x0s) // 5]
    right = x1s[(len(x1s) * 4) // 5]
    for line in lines:
        line.col_left, line.col_right = left, right
    lines[0].region_start = True


def layout_document(pages: list[list[Line]], widths: list[float], body: float) -> list[Line]:
    """Every page in reading order, one list; two-column pages read left column, then right."""
    gutters = [_gutter(lines, width) for lines, width in zip(pages, widths, strict=True)]
    two_col = sum(1 for g in gutters if g is not None)
    ordered: list[Line] = []
    for lines, gutter in zip(pages, gutters, strict=True):
        # One-column documents keep one column unless a page is plainly two-column.
        if gutter is not None and (2 * two_col >= len(pages) or gutter[1] > 0.9):
            ordered.extend(_order_two_columns(lines, gutter[0], body))
        else:
            column = _merge_rows(lines)
            _set_column(column, body)
            ordered.extend(column)
    return ordered


def _order_two_columns(lines: list[Line], gx: float, body: float) -> list[Line]:
    result: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    spanning: list[Line] = []

    def flush_columns() -> None:
        for column in (left, right):
            merged = _merge_rows(column)
            _set_column(merged, body)
            result.extend(merged)
            column.clear()

    def flush_spanning() -> None:
        merged = _merge_rows(spanning)
        _set_column(merged, body)
        for line in merged:
            line.spanning = line.page > 0
        result.extend(merged)
        spanning.clear()

    for line in sorted(lines, key=lambda ln: (ln.baseline, ln.x0)):
        if line.x0 < gx - 2 and line.x1 > gx + 2:
            if left or right:
                flush_columns()
            spanning.append(line)
        else:
            if spanning:
                flush_spanning()
            (left if line.x1 <= gx + 2 else right).append(line)
    flush_spanning()
    flush_columns()
    return result
