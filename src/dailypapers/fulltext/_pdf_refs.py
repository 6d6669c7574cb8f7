"""The reference list of a PDF paper, cut into one string per entry.

A private helper of ``fulltext/pdf.py``. Entries are recognised by their label ("[12]", "12."),
else by a hanging indent (first line flush left, the rest indented), else by the extra space
between entries; a new column or page continues the entry unless the line shows a new start.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable

from ._pdf_chars import Line

__all__ = ["split_references"]

_LABEL_RE = re.compile(r"^\s*(?:\[(\d{1,4})\]|(\d{1,4})\.\s)")


def _starts(lines: list[Line]) -> list[bool]:
    labels = [_LABEL_RE.match(ln.text) for ln in lines]
    if sum(1 for m in labels if m) >= max(2, len(lines) // 6):
        # Numbered entries: a label starts an entry only if it comes next in the sequence
        # (so a line that begins "4253. Association ..." stays inside its entry).
        starts, last = [], 0
        for match in labels:
            number = int(match.group(1) or match.group(2)) if match else None
            ok = number is not None and (last == 0 or last < number <= last + 3)
            starts.append(ok)
            if ok and number is not None:
                last = number
        starts[0] = True
        return starts
    flush = [ln.x0 <= ln.col_left + 0.4 * ln.size for ln in lines]
    indented = sum(1 for f in flush if not f)
    if indented >= 0.2 * len(lines) and indented < len(lines):
        return flush
    pitches = sorted(
        b.baseline - a.baseline
        for a, b in itertools.pairwise(lines)
        if not b.region_start and b.baseline > a.baseline
    )
    pitch = pitches[len(pitches) // 4] if pitches else 0.0
    starts = []
    for i, line in enumerate(lines):
        if i == 0:
            starts.append(True)
            continue
        prev = lines[i - 1]
        if line.region_start or line.page != prev.page:
            short = prev.x1 < prev.col_right - 3 * prev.size
            starts.append(short and prev.text.endswith("."))
        else:
            starts.append(line.baseline - prev.baseline > pitch + 0.25 * line.size)
    return starts


def split_references(
    lines: list[Line], vocab: Counter[str], join: Callable[[str, str, Counter[str]], str]
) -> list[str]:
    """One string per reference entry, lines joined (hyphenation undone) and whitespace tidied."""
    if not lines:
        return []
    entries: list[str] = []
    current = ""
    for line, start in zip(lines, _starts(lines), strict=True):
        if start and current:
            entries.append(current)
            current = ""
        current = join(current, line.text, vocab)
    if current:
        entries.append(current)
    return [re.sub(r"\s+", " ", e).strip() for e in entries if len(e.strip()) > 3]
