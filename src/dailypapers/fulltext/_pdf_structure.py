"""Document structure for the PDF reader: title, abstract, sections, paragraphs and references.

A private helper of ``fulltext/pdf.py``. It walks the lines of a paper in reading order (from
``_pdf_layout``), with the headings of ``_pdf_headings``, and cuts paragraphs: joined across
lines, columns and pages (words re-joined across hyphenated line breaks), with footnotes,
captions, tables and wide floats held out of a paragraph that runs past them. Text under
"Abstract" is the abstract; text under "References" is the reference list (``_pdf_refs``), and
the sections after it (appendices) stay sections.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ._pdf_chars import Line
from ._pdf_headings import REFERENCES, Heading, ends_references, find_headings, title_lines
from ._pdf_refs import split_references
from ._pdf_words import join_lines, vocabulary

__all__ = ["Structure", "build_structure"]

_TERMINAL = (".", "!", "?", ":", ".”", ".)", '."')


@dataclass
class Structure:
    """What the structure pass found."""

    title: str | None = None
    abstract: str | None = None
    sections: list[tuple[Heading, list[str]]] = field(default_factory=list)
    references: list[str] = field(default_factory=list)


@dataclass
class _Para:
    lines: list[Line] = field(default_factory=list)
    text: str = ""


_FRONT_RE = re.compile(
    r"^(?:keywords|key words|index terms|ccs concepts|additional key words|date:|correspond"
    r"|\W|\d{1,2}\s*\W)",
    re.IGNORECASE,
)
_FOOTNOTE_MARK_RE = re.compile(r"(?<=[.!?])\s+\d{1,2}$")
_FIGURE_RE = re.compile(r"^(?:Figure|Fig\.)\s*\d+(?:[:.]|\s+[A-Z(])")
_CAPTION_RE = re.compile(r"^(?:Table|Figure|Fig\.)\s*\d+[:.]")
_WORD_RE = re.compile(r"^[(“\"']?[A-Za-z]{2,}")
_BULLET_RE = re.compile(r"^[•◦▪▸►‣∙●○■□–-]\s")
_ENUMERATOR_RE = re.compile(r"^(?:\((?:\d{1,2}|[a-z]|[ivx]{1,4})\)|\d{1,2}[.)])\s")


class _Builder:
    """Walks the lines once, cutting paragraphs and sections."""

    def __init__(self, body: float, pitch: float, vocab: Counter[str]) -> None:
        self.body, self.pitch, self.vocab = body, pitch, vocab
        self.blocks: list[Heading | _Para] = []
        self.para: _Para | None = None
        self.held: list[_Para] = []  # asides met while a paragraph runs past them
        self.aside: _Para | None = None

    def _is_aside(self, line: Line) -> bool:
        """Small print, a table or a wide float inside a paragraph that goes on after it."""
        if self.para is None or not self.para.lines or not self._open():
            return False
        last = self.para.lines[-1]
        return (
            line.size < 0.92 * last.size
            or (line.cells >= 3 and last.cells < 3)
            or (line.spanning and not last.spanning)
            or (line.region_start and line.bold >= 0.5 > last.bold)
        )

    def _resumes(self, line: Line, prev: Line | None) -> bool:
        """After an aside: is this line where the held-up paragraph goes on?"""
        assert self.para is not None
        last = self.para.lines[-1]
        if (
            prev is not None
            and not line.region_start
            and (line.page != prev.page or line.baseline - prev.baseline <= 1.5 * self.pitch)
        ):
            return False
        words = [w for w in line.text.split() if not _WORD_RE.match(w)]
        prose = [w for w in line.text.split() if _WORD_RE.match(w)]
        return (
            abs(line.size - last.size) <= 0.6
            and line.bold < 0.5
            and line.cells < 3
            and line.spanning == last.spanning
            and len(prose) >= 4
            and len(prose) >= 3 * len(words)
            and bool(re.match(r"^[(\[“\"']?\w", line.text))
        )

    def _open(self) -> bool:
        """The running paragraph stops mid-sentence at a full line: it goes on somewhere."""
        if self.para is None or not self.para.lines:
            return False
        last = self.para.lines[-1]
        full = last.x1 >= last.col_right - 2.5 * last.size
        return full and not last.text.endswith(_TERMINAL)

    def close(self) -> None:
        if self.aside is not None:
            self.held.append(self.aside)
            self.aside = None
        if self.para is not None:
            self.blocks.append(self.para)
            self.para = None
        self.blocks.extend(self.held)
        self.held = []

    def heading(self, heading: Heading) -> None:
        self.close()
        self.blocks.append(heading)

    def line(self, line: Line, prev: Line | None) -> None:
        if self.aside is not None:
            if not self._resumes(line, prev):
                # The float, footnote or table goes on (or a new one starts).
                if prev is not None and self._breaks(prev, line):
                    self.held.append(self.aside)
                    self.aside = _Para()
                self._add(self.aside, line)
                return
            self.held.append(self.aside)
            self.aside = None
            assert self.para is not None
            if not self._breaks(self.para.lines[-1], line, resumed=True):
                self._add(self.para, line)
                return
        elif self._is_aside(line):
            self.aside = _Para()
            self._add(self.aside, line)
            return
        if self.para is None or prev is None or self._breaks(self.para.lines[-1], line):
            self.close()
            self.para = _Para()
        self._add(self.para, line)

    def _add(self, para: _Para | None, line: Line) -> None:
        assert para is not None
        if para.lines and (line.cells >= 3 or para.lines[-1].cells >= 3):
            para.text = para.text + "\n" + line.text  # table rows stay rows
        else:
            para.text = join_lines(para.text, line.text, self.vocab)
        para.lines.append(line)

    def _breaks(self, prev: Line, line: Line, resumed: bool = False) -> bool:
        """Does ``line`` start a new paragraph after ``prev``?"""
        size = max(line.size, 1.0)
        short = prev.x1 < prev.col_right - 2.5 * prev.size
        ended = prev.text.endswith(_TERMINAL)
        indented = line.x0 > line.col_left + 0.6 * size and (short or ended)
        if abs(line.size - prev.size) > 0.6:
            return True
        if (line.cells >= 3) != (prev.cells >= 3) or line.spanning != prev.spanning:
            return True
        if _BULLET_RE.match(line.text) or (
            _ENUMERATOR_RE.match(line.text) and (short or prev.text.endswith((*_TERMINAL, ";")))
        ):
            return True
        if line.region_start or resumed or line.page != prev.page:
            return short or indented
        if line.baseline - prev.baseline > 1.45 * self.pitch * size / self.body:
            return True
        if line.baseline < prev.baseline:
            return True
        return (indented and line.x0 > prev.x0 + 0.6 * size) or (short and ended)


def build_structure(lines: list[Line], body: float, pitch: float, height: float) -> Structure:
    """Title, abstract, sections (with paragraphs) and references of a paper.

    ``body`` is the body font size, ``pitch`` the usual distance between lines and ``height``
    the height of page one (the title is looked for in its top half).
    """
    vocab = vocabulary(lines)
    top = title_lines(lines, body, height)
    title_ids = {id(ln) for ln in top}
    title = None
    for line in top:
        title = join_lines(title or "", line.text, vocab)
    skip = {i for i, line in enumerate(lines) if id(line) in title_ids}
    headings = find_headings(lines, body, skip)
    builder = _Builder(body, pitch, vocab)
    ref_lines: list[Line] = []
    in_refs = in_float = False
    prev: Line | None = None
    for index, line in enumerate(lines):
        if index in skip:
            continue
        if index in headings:
            heading, rest, span = headings[index]
            if not in_refs or ends_references(heading, line, body):
                in_refs = heading.name in REFERENCES
                builder.heading(heading)
                skip.update(range(index + 1, index + span))
                prev = None
                if rest:
                    builder.line(_rest_of(line, rest), None)
                    prev = line
                continue
        if in_refs and _CAPTION_RE.match(line.text):
            in_float = True  # a figure or table set among the references (or after them)
        elif line.region_start:
            in_float = False
        if in_refs and not in_float:
            ref_lines.append(line)
            continue
        builder.line(line, prev)
        prev = line
    builder.close()
    structure = _assemble(_without_figure_labels(builder.blocks), title)
    structure.references = split_references(ref_lines, vocab, join_lines)
    return structure


def _rest_of(line: Line, rest: str) -> Line:
    return Line(
        page=line.page,
        x0=line.col_left,
        top=line.top,
        x1=line.x1,
        bottom=line.bottom,
        baseline=line.baseline,
        text=rest.strip(),
        size=line.size,
        bold=0.0,
        col_left=line.col_left,
        col_right=line.col_right,
    )


def _without_figure_labels(blocks: list[Heading | _Para]) -> list[Heading | _Para]:
    """Drop the scattered words of a drawing (axis labels, boxes) just above its caption."""
    drop: set[int] = set()
    for index, block in enumerate(blocks):
        if not isinstance(block, _Para) or not _FIGURE_RE.match(block.text) or not block.lines:
            continue
        run = []
        for back in range(index - 1, -1, -1):
            prior = blocks[back]
            if (
                not isinstance(prior, _Para)
                or not prior.lines
                or prior.lines[0].page != block.lines[0].page
                or len(re.findall(r"[A-Za-z]{2,}", prior.text)) > 6
            ):
                break
            run.append(back)
        if len(run) >= 2:
            drop.update(run)
    return [block for index, block in enumerate(blocks) if index not in drop]


def _abstract_only(paragraphs: list[_Para]) -> list[_Para]:
    """The abstract's paragraphs, without the keywords, footnotes or dates set below it."""
    kept = paragraphs[:1]
    size = paragraphs[0].lines[0].size if paragraphs and paragraphs[0].lines else 0.0
    for para in paragraphs[1:]:
        if not para.lines or abs(para.lines[0].size - size) > 0.3 or _FRONT_RE.match(para.text):
            break
        kept.append(para)
    return kept


def _assemble(blocks: list[Heading | _Para], title: str | None) -> Structure:
    structure = Structure(title=title)
    front: list[_Para] = []
    current: tuple[Heading, list[str]] | None = None
    abstract: list[_Para] | None = None
    orphans: list[str] = []  # text after the references and before the next heading
    after_refs = False
    for block in blocks:
        if isinstance(block, Heading):
            if block.name == "abstract" and abstract is None and not structure.sections:
                abstract = []
                current = None
            elif block.name in REFERENCES:
                current, after_refs = None, True
            else:
                current = (block, orphans)
                orphans = []
                structure.sections.append(current)
            continue
        if not block.text:
            continue
        block.text = _FOOTNOTE_MARK_RE.sub("", block.text)
        if current is not None:
            current[1].append(block.text)
        elif after_refs:
            orphans.append(block.text)
        elif abstract is not None:
            abstract.append(block)
        else:
            front.append(block)
    if orphans:
        structure.sections.append((Heading("Back matter", 1, "back matter", "large"), orphans))
    if abstract:
        structure.abstract = "\n\n".join(p.text for p in _abstract_only(abstract))
    elif front:
        # No "Abstract" heading (e.g. ACM layouts): the longest block of page one before the
        # first heading is the abstract; the rest of the front matter (authors, addresses) goes.
        candidates = [p for p in front if p.lines and p.lines[0].page == 0]
        best = max(candidates, key=lambda p: len(p.text), default=None)
        if best is not None and len(best.text) >= 300:
            structure.abstract = best.text
    if not structure.sections:
        body = [p.text for p in front if p.text and p.text != structure.abstract]
        if body:
            structure.sections.append((Heading("Text", 1, "text", "large"), body))
    return structure
