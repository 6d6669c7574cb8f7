"""Characters to lines for the PDF reader: what pdfium knows about each glyph, grouped by baseline.

A private helper of ``fulltext/pdf.py``. For every character it asks pdfium for the box, the
baseline, the font size and the font name (bold or not), drops rotated text (the arXiv side
stamp), and groups characters into lines: same baseline (sub- and superscripts and big operators
allowed), no step backwards, no wide gap (a wide gap starts a new piece, as between two columns
or table cells). Text is cleaned on the way: surrogate pairs joined, TeX's loose accents put
back on their letters, ligatures and math letters spelled plainly.
"""

from __future__ import annotations

import ctypes
import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

__all__ = ["Line", "clean_text", "read_page_lines"]

#: Font names that mean bold (pdfium's weight is 0 or wrong for many Type 1 fonts).
_BOLD_FONT_RE = re.compile(
    r"bold|black|heavy|demi|semibold|-medi(?:ital)?$|cmbx|sfbx|bx\d|tbi?$", re.IGNORECASE
)


@dataclass(slots=True)
class Line:
    """One line (or one gap-separated piece of a line) of a page, in top-down coordinates."""

    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    baseline: float
    text: str
    size: float
    bold: float
    lead: str = ""  # leading words set in another font (a run-in heading: "3.2 Setup.")
    col_left: float = 0.0
    col_right: float = 0.0
    region_start: bool = False
    cells: int = 1  # pieces with wide gaps between them (table rows have several)
    spanning: bool = False  # crosses the gutter of a two-column page (a wide figure or table)

    @property
    def width(self) -> float:
        return self.x1 - self.x0


# A character: text, left, top, right, bottom, baseline (all top-down), size, bold, space before,
# and which font (an index, per page).
_Char = tuple[str, float, float, float, float, float, float, bool, bool, int]


def _read_chars(textpage: pdfium.PdfTextPage, page_top: float) -> list[_Char]:
    raw = textpage.raw
    count = pdfium_c.FPDFText_CountChars(raw)
    get_unicode, get_angle = pdfium_c.FPDFText_GetUnicode, pdfium_c.FPDFText_GetCharAngle
    get_box, get_origin = pdfium_c.FPDFText_GetCharBox, pdfium_c.FPDFText_GetCharOrigin
    get_size, get_font = pdfium_c.FPDFText_GetFontSize, pdfium_c.FPDFText_GetFontInfo
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    ox, oy = ctypes.c_double(), ctypes.c_double()
    box = [ctypes.byref(v) for v in (left, right, bottom, top)]
    origin = (ctypes.byref(ox), ctypes.byref(oy))
    loose = pdfium_c.FS_RECTF()
    name_buffer, flags = ctypes.create_string_buffer(256), ctypes.c_int()
    flags_ref = ctypes.byref(flags)
    fonts: dict[bytes, tuple[int, bool]] = {}  # name: index, bold (pdfium's weight is often 0)
    two_pi = 2 * math.pi
    chars: list[_Char] = []
    space = False
    for i in range(count):
        code = get_unicode(raw, i)
        if code in (32, 13, 10, 9, 0xA0):  # spaces and line breaks, pdfium's own included
            space = True
            continue
        if code == 2 or code == 0xAD:  # pdfium's mark for a hyphen that ends a line
            text = "-"
        elif code < 32 or code in (0xFFFD, 0xFFFE) or 0xE000 <= code <= 0xF8FF:
            continue
        else:
            text = chr(code)  # surrogate halves are paired up again in _make_line
        angle = get_angle(raw, i)
        if angle > 0.05 and abs(angle - two_pi) > 0.05:
            continue  # rotated text: the arXiv side stamp, axis labels
        if not get_box(raw, i, *box):
            continue
        get_origin(raw, i, *origin)
        size = get_size(raw, i)
        if size < 3.0:  # scaled by the text matrix: measure the glyph's font box instead
            pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(loose))
            size = max(size, (loose.top - loose.bottom) / 0.92)
        get_font(raw, i, name_buffer, 256, flags_ref)
        name = name_buffer.value
        font = fonts.get(name)
        if font is None:
            bold = bool(_BOLD_FONT_RE.search(name.decode("latin-1").split("+")[-1]))
            bold = bold or pdfium_c.FPDFText_GetFontWeight(raw, i) >= 600
            font = fonts[name] = (len(fonts), bold)
        chars.append(
            (
                text,
                left.value,
                page_top - top.value,
                right.value,
                page_top - bottom.value,
                page_top - oy.value,
                size,
                font[1],
                space,
                font[0],
            )
        )
        space = False
    return chars


def read_page_lines(page: pdfium.PdfPage, index: int) -> list[Line]:
    """All lines of one page in pdfium's order, each split where a wide horizontal gap opens."""
    page_top = page.get_bbox()[3]
    textpage = page.get_textpage()
    try:
        chars = _read_chars(textpage, page_top)
    finally:
        textpage.close()
    lines: list[Line] = []
    current: list[_Char] = []
    base = size = last_x0 = last_x1 = row_top = row_bottom = row_x0 = 0.0
    for char in chars:
        _, x0, top, x1, bottom, baseline, csize, _, _, _ = char
        if current:
            big = size if size > csize else csize
            on_baseline = -0.3 * big < baseline - base < 0.3 * big
            if on_baseline and x0 >= last_x1 - 0.6 * size and x0 - last_x1 <= 1.2 * big:
                # the common case: the next letter of the same line
                if top < row_top:
                    row_top = top
                if bottom > row_bottom:
                    row_bottom = bottom
                if csize > size * 1.15:
                    base, size = baseline, csize
                current.append(char)
                if x1 > last_x1:
                    last_x1 = x1
                last_x0 = x0
                continue
            # Sub- and superscripts, big operators: off the baseline, but the boxes overlap.
            overlap = min(bottom, row_bottom) - max(top, row_top)
            overlaps = overlap > 0.5 * min(bottom - top, row_bottom - row_top)
            script = csize < 0.85 * size or size < 0.85 * csize
            backwards = (
                x0 < last_x1 - 0.6 * size
                and x0 < last_x0 - 0.5  # ligatures split into letters share one box
                and not (script and overlaps and x0 >= row_x0)
            )
            gap = x0 - last_x1 > 1.2 * big
            if not (on_baseline or overlaps) or backwards or gap:
                lines.append(_make_line(current, index))
                current = []
            elif not on_baseline and csize >= 0.85 * size:
                base = baseline  # back on the text's baseline after a big operator
        if not current:
            row_top, row_bottom, row_x0 = top, bottom, x0
            base, size = baseline, max(csize, 1.0)
            last_x1 = x1
        else:
            row_top, row_bottom = min(row_top, top), max(row_bottom, bottom)
            if csize > size * 1.15:
                base, size = baseline, csize
            last_x1 = max(x1, last_x1)
        current.append(char)
        last_x0 = x0
    if current:
        lines.append(_make_line(current, index))
    return [line for line in lines if line.text]


def _make_line(chars: list[_Char], page: int) -> Line:
    parts: list[str] = []
    sizes: Counter[float] = Counter()
    fonts: Counter[int] = Counter()
    starts: list[int] = []  # index in ``parts`` of each character
    bold = 0
    for n, (text, _l, _t, _r, _b, _base, csize, cbold, space, font) in enumerate(chars):
        if space and n:
            parts.append(" ")
        starts.append(len(parts))
        parts.append(text)
        sizes[csize] += 1
        fonts[font] += 1
        bold += cbold
    raw = "".join(parts)
    size = round(sizes.most_common(1)[0][0] * 2) / 2
    baselines = Counter(round(c[5], 1) for c in chars if c[6] >= 0.85 * size)
    main_font = fonts.most_common(1)[0][0]
    lead = next((n for n, c in enumerate(chars) if c[9] == main_font), len(chars))
    return Line(
        page=page,
        x0=min(c[1] for c in chars),
        top=min(c[2] for c in chars),
        x1=max(c[3] for c in chars),
        bottom=max(c[4] for c in chars),
        baseline=baselines.most_common(1)[0][0] if baselines else chars[0][5],
        text=clean_text(raw).strip(),
        size=size,
        bold=bold / len(chars),
        lead=clean_text("".join(parts[: starts[lead]] if lead < len(chars) else "")).strip(),
    )


#: TeX's spacing accents (drawn apart from their letter) and the combining marks they stand for.
_ACCENTS = {
    "´": "\u0301",
    "`": "\u0300",
    "¨": "\u0308",
    "ˆ": "\u0302",
    "˜": "\u0303",
    "¸": "\u0327",
    "ˇ": "\u030c",
    "˘": "\u0306",
    "˙": "\u0307",
    "˚": "\u030a",
}
_ACCENT_RE = re.compile(r"(?<=\w) ?([´`¨ˆ˜¸ˇ˘˙˚]) ?([A-Za-z])")


def _accent(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFC", match.group(2) + _ACCENTS[match.group(1)])


def clean_text(text: str) -> str:
    """Pair surrogate halves, put TeX accents back on their letters ("Guti ´ errez"), and spell
    math letters and ligatures (𝑥, ﬁ) as plain letters."""
    if any(ch in _ACCENTS for ch in text):
        text = _ACCENT_RE.sub(_accent, text)
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if any(ord(ch) >= 0xFB00 for ch in text):
        text = "".join(
            unicodedata.normalize("NFKC", ch)
            if 0xFB00 <= ord(ch) <= 0xFB06 or 0x1D400 <= ord(ch) <= 0x1D7FF
            else ch
            for ch in text
        )
    return text
