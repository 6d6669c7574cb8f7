"""Headings for the PDF reader: which lines are the title and the section headings.

A private helper of ``fulltext/pdf.py``. A heading is a numbered line ("2.1 Setup", "A Details")
set in bold, larger type or small capitals, or a known name ("Abstract", "References",
"Acknowledgments"); a long heading may run over two or three lines. In a paper whose sections are
numbered, other bold or large lines are table headers or figure labels, not headings. The title
is the largest type in the top half of page one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ._pdf_chars import Line
from ._pdf_words import join_lines

__all__ = [
    "REFERENCES",
    "Heading",
    "ends_references",
    "find_headings",
    "heading_of",
    "letters_only",
    "title_lines",
]

_NUMBERED_RE = re.compile(
    r"^((?:\d{1,2}(?:\.\d{1,2}){0,3})|(?:[A-Z](?:\.\d{1,2}){0,3}))\.?\s+(\S.*)$"
)
#: Headings that stay unnumbered in papers whose other sections are numbered.
_UNNUMBERED = {
    "abstract",
    "limitations",
    "acknowledgments",
    "acknowledgements",
    "acknowledgment",
    "acknowledgement",
    "ethics statement",
    "broader impact",
    "impact statement",
    "references",
    "bibliography",
    "appendix",
    "appendices",
    "supplementary material",
    "reproducibility statement",
}
#: Section names common enough to trust as headings when the layout hints at one.
_KNOWN = _UNNUMBERED | {
    "introduction",
    "related work",
    "related works",
    "background",
    "preliminaries",
    "method",
    "methods",
    "methodology",
    "approach",
    "experiments",
    "experimental setup",
    "evaluation",
    "results",
    "discussion",
    "conclusion",
    "conclusions",
    "conclusion and future work",
}
REFERENCES = {"references", "bibliography", "reference", "literature cited", "works cited"}
_RUN_IN_ABSTRACT_RE = re.compile(r"^(abstract)\s*[.:—–-]\s*", re.IGNORECASE)


@dataclass
class Heading:
    """A section heading: its title as printed (numbering kept) and its level (1 = section)."""

    title: str
    level: int
    name: str  # lower-case title without numbering, to recognise Abstract/References
    kind: str = "numbered"  # "numbered", "known" (Abstract, References, ...) or "large" (type)


def letters_only(text: str) -> str:
    return re.sub(r"[^a-z ]", "", text.lower()).strip()


def _styled(line: Line, body: float) -> bool:
    return line.bold >= 0.6 or line.size >= 1.12 * body


def heading_of(line: Line, body: float) -> tuple[Heading, str] | None:
    """The heading this line is, and the text that follows it on the line (run-in headings)."""
    text = line.text.strip()
    if len(text) > 120 or len(text) < 3:
        return None
    name = letters_only(text)
    known = name in REFERENCES or (name == "abstract" and text.lower().startswith("abstract"))
    if known and len(text) <= len(name) + 6:
        return Heading(text, 1, name, "known"), ""
    run_in = _RUN_IN_ABSTRACT_RE.match(text)
    if run_in and (line.lead.lower().startswith("abstract") or line.bold >= 0.6):
        return Heading("Abstract", 1, "abstract", "known"), text[run_in.end() :]
    match = _NUMBERED_RE.match(text)
    if match:
        number, rest = match.groups()
        if number[0].isdigit() and int(number.split(".")[0]) > 40:
            return None
        words = rest.split()
        letters = [ch for ch in rest if ch.isalpha()]
        small_caps = len(letters) >= 4 and all(ch.isupper() for ch in letters)
        if (
            (_styled(line, body) or small_caps)
            and len(words) <= 14
            and rest[0].isupper()
            and sum(ch.isalpha() for ch in rest) >= 3
            and not rest.rstrip().endswith((".", ",", ";"))
            and len(rest) >= 3
        ):
            title = f"{number} {rest}".strip()
            return Heading(title, number.count(".") + 1, letters_only(rest)), ""
        # Run-in numbered heading: "3.0.2 Procedure. In the study, ..." in its own font.
        lead = line.lead
        if lead and lead != text and lead.endswith(".") and 3 < len(lead) < 80:
            inner = _NUMBERED_RE.match(lead)
            if inner and "." in inner.group(1) and inner.group(2)[0].isupper():
                title = lead.rstrip(".").strip()
                level = inner.group(1).count(".") + 1
                return Heading(title, level, letters_only(inner.group(2))), text[len(lead) :]
        return None
    if not _styled(line, body) or text.endswith((".", ",", ";")):
        return None
    if name in _KNOWN or name.startswith("appendix"):
        return Heading(text, 1, name, "known"), ""
    if line.size >= 1.25 * body and len(text.split()) <= 12 and text[0].isupper():
        return Heading(text, 1, name, "large"), ""
    return None


def title_lines(lines: list[Line], body: float, height: float) -> list[Line]:
    """The title: the largest type in the top half of page one, in consecutive lines."""
    first = [ln for ln in lines if ln.page == 0 and ln.top < 0.5 * height]
    if not first:
        return []
    biggest = max(ln.size for ln in first)
    if biggest < 1.2 * body:
        return []
    picked = []
    for line in first:
        if abs(line.size - biggest) <= 0.6 and sum(ch.isalpha() for ch in line.text) >= 2:
            picked.append(line)
        elif picked:
            break
    return picked[:4]


def find_headings(
    lines: list[Line], body: float, skip: set[int]
) -> dict[int, tuple[Heading, str, int]]:
    """Heading lines by index: (heading, run-in text after it, lines it spans)."""
    found: dict[int, tuple[Heading, str, int]] = {}
    for index, line in enumerate(lines):
        if index in skip:
            continue
        hit = heading_of(line, body)
        if hit is None:
            continue
        heading, rest = hit
        span = 1
        while not rest and heading.kind != "known" and span < 3 and index + span < len(lines):
            nxt = lines[index + span]
            if not _continues_heading(line, nxt) or heading_of(nxt, body) is not None:
                break
            heading.title = join_lines(heading.title, nxt.text, Counter())
            words = heading.title.split(" ", 1)
            heading.name = letters_only(words[-1] if heading.kind == "numbered" else heading.title)
            span += 1
        found[index] = (heading, rest, span)
    # Papers that number their sections number them all; other big type is a figure's.
    # An unnumbered "Method" among numbered sections is a table's header cell.
    if sum(1 for h, _, _ in found.values() if h.kind == "numbered") >= 3:
        found = {
            i: v
            for i, v in found.items()
            if v[0].kind == "numbered"
            or (v[0].name in _UNNUMBERED or v[0].name.startswith("appendix"))
        }
    return found


def _continues_heading(line: Line, nxt: Line) -> bool:
    """Is ``nxt`` the second line of the heading on ``line`` (same type, right below)?"""
    return (
        nxt.page == line.page
        and not nxt.region_start
        and abs(nxt.size - line.size) <= 0.3
        and (nxt.bold >= 0.6) == (line.bold >= 0.6)
        and 0 < nxt.baseline - line.baseline <= 1.7 * line.size
        and len(line.text) + len(nxt.text) <= 200
        and not nxt.text.endswith(".")
    )


def ends_references(heading: Heading, line: Line, body: float) -> bool:
    """Inside the references only appendix-like or known headings end the list."""
    first = heading.title.split()[0]
    return (
        bool(re.fullmatch(r"[A-Z](\.\d+)*", first))
        or heading.name in _KNOWN
        or heading.name.startswith("appendix")
        or line.size >= 1.12 * body
    )
