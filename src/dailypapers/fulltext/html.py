"""arXiv HTML (LaTeXML) to :class:`~dailypapers.models.FullText`: the page-level reading.

Owns :func:`html_to_fulltext`. It finds the LaTeXML document in the page (``article.ltx_document``;
everything around it, such as arxiv.org's header, navigation, "Report issue" buttons, license and
watermark blocks and the LaTeXML footer, is never read), then takes:

- the title (``ltx_title_document``) and the abstract (``ltx_abstract``, its heading left out; a
  first section titled "Abstract" stands in when the page has no abstract element);
- the sections in document order as :class:`~dailypapers.models.Section`: the title keeps its
  numbering ("2.1 Data", "Appendix A Proofs"), level 1 for sections, appendices and
  acknowledgements, 2 for subsections, 3 for subsubsections and paragraphs; text that comes before
  the first section (a teaser figure, keywords) opens the first section;
- the bibliography apart, one string per entry ("[12] A. Author. Title. Venue, 2020."), never in
  the body.

The element rules (Markdown, math, tables, citations, what counts as chrome) live in
:mod:`dailypapers.fulltext.latexml`. A page that is not LaTeXML, or has no body text, raises
:class:`~dailypapers.errors.FullTextError` with a one-line reason.
"""

from __future__ import annotations

import codecs
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..errors import FullTextError
from ..models import FullText, Section
from .blocks import classes_of, normalize_space
from .latexml import Out, Renderer

__all__ = ["html_to_fulltext"]

_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.I)
_NUMBER_LABEL = re.compile(r"\[?(\d+)\]?")
_ABSTRACT_TITLE = re.compile(r"(?:[\dIVX]+\.?\s+)?abstract\.?", re.I)


def html_to_fulltext(html: str | bytes, *, paper_id: str, url: str | None = None) -> FullText:
    """Read one arXiv HTML (LaTeXML) page; raises FullTextError when it is not usable."""
    text = _decode(bytes(html)) if isinstance(html, bytes | bytearray) else html
    if not text.strip():
        raise FullTextError("empty HTML page")
    try:
        tree = LexborHTMLParser(text)
    except Exception as exc:  # selectolax raises bare exceptions on input it cannot take
        raise FullTextError(f"HTML could not be parsed ({type(exc).__name__})") from exc
    doc = _document(tree)
    if doc is None:
        raise FullTextError("not a LaTeXML page (no ltx_document element)")
    try:
        return _convert(tree, doc, paper_id=paper_id, url=url)
    except RecursionError as exc:
        raise FullTextError("HTML is nested too deeply to read") from exc


def _convert(
    tree: LexborHTMLParser, doc: LexborNode, *, paper_id: str, url: str | None
) -> FullText:
    renderer = Renderer()
    references, renderer.bib_numbers = _references(doc, renderer)
    title = _title(tree, doc, renderer)
    abstract_node = doc.css_first(".ltx_abstract")
    abstract = "\n\n".join(renderer.blocks(abstract_node)) if abstract_node is not None else ""
    lead, entries = _Splitter(renderer).split(doc)
    if not abstract and entries and _ABSTRACT_TITLE.fullmatch(entries[0][0]):
        abstract = "\n\n".join(entries.pop(0)[2])
    if lead:
        if entries:
            entries[0][2][:0] = lead
        else:
            entries.append(("Main text", 1, lead))
    sections = [Section(title=t, level=lvl, text="\n\n".join(b)) for t, lvl, b in entries]
    if not any(s.text.strip() for s in sections):
        raise FullTextError("LaTeXML page has no body text")
    return FullText(
        paper_id=paper_id,
        source="html",
        url=url,
        title=title or None,
        abstract=abstract or None,
        sections=sections,
        references=references,
    )


class _Splitter:
    """Walks the document once; each sectioning element opens a new (title, level, blocks)."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.entries: list[tuple[str, int, list[str]]] = []
        renderer.on_section = self._on_section

    def split(self, doc: LexborNode) -> tuple[list[str], list[tuple[str, int, list[str]]]]:
        lead: list[str] = []
        out = Out()
        out.blocks = lead
        self.renderer.front_matter = True
        self.renderer.walk_children(doc, out)
        out.flush()
        return lead, self.entries

    def _on_section(self, node: LexborNode, level: int, out: Out) -> None:
        out.flush()
        self.renderer.front_matter = False
        heading = _heading(node)
        title = self.renderer.inline(heading, notes=False) if heading is not None else ""
        if not title:
            ack = "ltx_acknowledgements" in classes_of(node)
            title = "Acknowledgements" if ack else "Untitled section"
        blocks: list[str] = []
        self.entries.append((title, level, blocks))
        out.blocks = blocks  # text after a nested section flows into the latest section
        self.renderer.walk_children(node, out, skip=heading)
        out.flush()


def _heading(node: LexborNode) -> LexborNode | None:
    """The section's own title: its first child element with the ``ltx_title`` class."""
    child = node.child
    while child is not None:
        if child.tag and child.tag[0] != "-" and "ltx_title" in classes_of(child):
            return child
        child = child.next
    return None


def _document(tree: LexborHTMLParser) -> LexborNode | None:
    fallback = None
    for node in tree.css(".ltx_document"):
        if "package-alerts" in classes_of(node):  # arxiv.org's "unsupported packages" box
            continue
        if node.tag == "article":
            return node
        fallback = fallback or node
    return fallback


def _title(tree: LexborHTMLParser, doc: LexborNode, renderer: Renderer) -> str:
    node = doc.css_first(".ltx_title_document")
    if node is not None:
        title = renderer.inline(node, notes=False)
        if title:
            return title
    head_title = tree.css_first("head > title")
    return normalize_space(head_title.text(deep=True)) if head_title is not None else ""


def _references(doc: LexborNode, renderer: Renderer) -> tuple[list[str], dict[str, str]]:
    """Bibliography entries as strings, and the numeric label of each bibitem id."""
    references: list[str] = []
    numbers: dict[str, str] = {}
    for item in doc.css(".ltx_bibitem"):
        label_node = item.css_first(".ltx_tag_bibitem")
        label = normalize_space(label_node.text(deep=True)) if label_node is not None else ""
        blocks = item.css(".ltx_bibblock")
        if blocks:
            text = " ".join(filter(None, (renderer.inline(b, notes=False) for b in blocks)))
        else:
            text = renderer.inline(item, notes=False).removeprefix(label).strip()
        if not text:
            continue
        number = _NUMBER_LABEL.fullmatch(label)
        item_id = item.attributes.get("id")
        if number and item_id:
            numbers[item_id] = number.group(1)
        bare = label[1:-1] if label.startswith("[") and label.endswith("]") else label
        references.append(f"[{bare}] {text}" if bare else text)
    return references, numbers


def _decode(data: bytes) -> str:
    """Page bytes to text: UTF-8 (LaTeXML's output), else the declared charset, else cp1252."""
    for bom, codec in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, "replace").lstrip("\ufeff")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data.decode("utf-16", "replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii"), "replace")
        except LookupError:
            pass
    return data.decode("cp1252", "replace")
