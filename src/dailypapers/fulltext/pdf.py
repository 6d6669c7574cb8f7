"""The PDF reader of the full-text stage: a paper's PDF bytes to a ``FullText``.

:func:`pdf_to_fulltext` opens the PDF with pypdfium2 (never PyMuPDF) and reads it the way a
person would: two-column pages column by column, words re-joined across hyphenated line breaks,
running headers, footers, page numbers and the arXiv side stamp left out, section headings found
from numbering and type (bold or larger), the title and abstract where the layout shows them, and
the references kept apart from the body (appendices after them stay sections).

A PDF that cannot be read (empty, truncated, not a PDF, encrypted, no text layer) raises
:class:`~dailypapers.errors.FullTextError` with a one-line reason; pdfium's own exceptions never
leave this module. Its helpers: ``_pdf_chars`` (characters to lines), ``_pdf_layout`` (columns,
reading order, page furniture), ``_pdf_headings``, ``_pdf_words`` (hyphenation),
``_pdf_structure`` (paragraphs, sections) and ``_pdf_refs`` (the reference list).
"""

from __future__ import annotations

import re
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..errors import FullTextError
from ..models import FullText, Section
from ._pdf_chars import Line, read_page_lines
from ._pdf_headings import title_lines
from ._pdf_layout import body_font_size, layout_document, line_pitch, remove_furniture
from ._pdf_structure import build_structure

__all__ = ["MAX_PAGES", "pdf_to_fulltext"]

#: pdfium may be used by one thread at a time (callers may run this in ``asyncio.to_thread``).
_PDFIUM = threading.Lock()

#: Pages read at most (a thesis-length PDF is cut here; the selector trims further anyway).
MAX_PAGES = 120

_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_FILE: "corrupt PDF (cannot be read)",
    pdfium_c.FPDF_ERR_FORMAT: "corrupt PDF (not a PDF or damaged)",
    pdfium_c.FPDF_ERR_PASSWORD: "encrypted PDF (needs a password)",
    pdfium_c.FPDF_ERR_SECURITY: "encrypted PDF (unsupported security handler)",
    pdfium_c.FPDF_ERR_PAGE: "corrupt PDF (page not found or damaged)",
}


def _open(data: bytes) -> pdfium.PdfDocument:
    if not data:
        raise FullTextError("empty PDF (0 bytes)")
    head = data[:1024].lstrip()
    if b"%PDF-" not in head:
        kind = "HTML page" if head[:15].lower().startswith((b"<!doctype", b"<html")) else "data"
        raise FullTextError(f"not a PDF (got {kind}, {len(data)} bytes)")
    if b"%%EOF" not in data[-4096:]:
        raise FullTextError(f"truncated PDF (no end-of-file marker, {len(data)} bytes)")
    # Opened by hand: pdfium's last-error code is only meaningful when loading failed.
    raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if not raw:
        reason = _LOAD_ERRORS.get(pdfium_c.FPDF_GetLastError(), "corrupt PDF (cannot be opened)")
        raise FullTextError(reason)
    if pdfium_c.FPDF_GetPageCount(raw) < 1:
        pdfium_c.FPDF_CloseDocument(raw)
        raise FullTextError("PDF has no pages")
    return pdfium.PdfDocument(raw)  # ``data`` outlives it: the caller closes it first


def _metadata_title(document: pdfium.PdfDocument) -> str:
    try:
        value = document.get_metadata_value("Title")
    except (pdfium.PdfiumError, KeyError, ValueError):
        return ""
    return re.sub(r"\s+", " ", value or "").strip()


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _pick_title(layout: str | None, meta: str) -> str | None:
    """The title as printed; an all-capitals one takes the case of the metadata's words."""
    if not layout:
        return meta or None
    if not meta or not layout.isupper() or meta.isupper():
        return layout
    cased = {word.lower(): word for word in re.findall(r"[^\W_]+", meta)}
    if len(set(cased) & set(_words(layout))) < 0.7 * len(cased):
        return layout
    return re.sub(r"[^\W_]+", lambda m: cased.get(m.group(0).lower(), m.group(0)), layout)


def _markdown_safe(text: str) -> str:
    """Paragraph text that Markdown will not read as a heading ("#### Example" in a prompt)."""
    return re.sub(r"(?m)^(\s*)#", r"\1\\#", text)


def _read_lines(document: pdfium.PdfDocument) -> tuple[list[list[Line]], list[float], list[float]]:
    pages: list[list[Line]] = []
    widths: list[float] = []
    heights: list[float] = []
    for index in range(min(len(document), MAX_PAGES)):
        try:
            page = document[index]
        except pdfium.PdfiumError:
            raise FullTextError(f"corrupt PDF (page {index + 1} cannot be read)") from None
        try:
            left, bottom, right, top = page.get_bbox()
            widths.append(right - left)
            heights.append(top - bottom)
            pages.append(read_page_lines(page, index))
        except pdfium.PdfiumError:
            raise FullTextError(f"corrupt PDF (text of page {index + 1} cannot be read)") from None
        finally:
            page.close()
    return pages, widths, heights


def pdf_to_fulltext(data: bytes, *, paper_id: str, url: str | None = None) -> FullText:
    """Read a paper's PDF into sections, abstract, title and references.

    Raises :class:`FullTextError` (one line, no traceback from pdfium) for an empty, truncated,
    corrupt or encrypted PDF, or one without a text layer. Safe to call from several threads:
    the pdfium part is serialized by a lock.
    """
    data = bytes(data)
    with _PDFIUM:  # pdfium is not thread-safe; the rest of the reading is pure Python
        document = _open(data)
        try:
            meta_title = _metadata_title(document)
            pages, widths, heights = _read_lines(document)
        finally:
            document.close()
    if sum(len(line.text) for lines in pages for line in lines) < 200:
        raise FullTextError("PDF has no text layer (scanned or image-only?)")
    body = body_font_size(pages)
    shown_title = " ".join(line.text for line in title_lines(pages[0], body, heights[0]))
    remove_furniture(pages, heights, meta_title or shown_title)
    ordered = layout_document(pages, widths, body)
    structure = build_structure(ordered, body, line_pitch(ordered, body), heights[0])
    sections = [
        Section(
            title=heading.title,
            level=heading.level,
            text="\n\n".join(_markdown_safe(p) for p in paragraphs),
        )
        for heading, paragraphs in structure.sections
    ]
    return FullText(
        paper_id=paper_id,
        source="pdf",
        url=url,
        title=_pick_title(structure.title, meta_title),
        abstract=_markdown_safe(structure.abstract) if structure.abstract else None,
        sections=sections,
        references=structure.references,
    )
