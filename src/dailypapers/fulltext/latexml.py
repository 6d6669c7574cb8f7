"""LaTeXML elements to Markdown: the element-level rules behind :mod:`dailypapers.fulltext.html`.

:class:`Renderer` walks a LaTeXML subtree (selectolax lexbor nodes) and writes Markdown blocks:
paragraphs, lists, ``ltx_tabular`` tables as Markdown tables, figure and table captions,
footnotes inline (``[Footnote: …]``), math from the ``alttext`` attribute as ``$…$`` (inline) or
``$$…$$`` (display equations, with their number) and never the MathML, citations as short markers
(``[12]``, ``[Author et al., 2020]``), and code listings as fenced blocks. Page chrome (scripts,
styles, buttons, navigation, logo/footer, license and watermark blocks, author "todo" notes,
LaTeXML error spans) is dropped. Sectioning elements are handed to a callback so the page-level
code can split the text into sections; the bibliography is skipped here and read separately.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from selectolax.lexbor import LexborNode

from .blocks import (
    TableRow,
    classes_of,
    clean_alttext,
    item_markdown,
    listing_code,
    markdown_table,
    normalize_space,
    row_cells,
    span_of,
    table_rows,
)

__all__ = ["SECTION_LEVELS", "Out", "Renderer"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Sectioning classes and the ``Section.level`` they map to.
SECTION_LEVELS = {
    "ltx_part": 1,
    "ltx_chapter": 1,
    "ltx_section": 1,
    "ltx_appendix": 1,
    "ltx_acknowledgements": 1,
    "ltx_subsection": 2,
    "ltx_subsubsection": 3,
    "ltx_paragraph": 3,
    "ltx_subparagraph": 3,
}
#: Never text: page chrome, embedded media, form controls.
_SKIP_TAGS = _words(
    "script style noscript template button nav header footer svg img picture video audio iframe "
    "object embed canvas form input select textarea link meta head title"
)
#: Chrome (arxiv.org's and LaTeXML's), author block, todo notes, footnote marks, LaTeXML errors;
#: the title, abstract and bibliography, which html.py reads on their own.
_SKIP_CLASSES = _words(
    "ltx_page_logo ltx_page_footer ltx_page_header ltx_page_navbar ltx_TOC ltx_authors ltx_dates "
    "ltx_rdf ltx_role_todo ltx_listing_data ltx_ERROR ltx_note_mark ltx_note_type ltx_tag_note "
    "ltx_pagination ltx_tag_listingline ltx_author_notes ltx_LaTeXML_logo ltx_index ltx_abstract "
    "ltx_title_document ltx_title_abstract ltx_bibliography package-alerts sr-only ar5iv-footer "
    "html-header-message html-header-nav desktop_header mobile_header"
)
_SKIP_IDS = _words("license-tr watermark-tr target-section myForm header")
_BLOCK_TAGS = _words(
    "p div section article main aside figure figcaption blockquote li dt dd tr hr h1 h2 h3 h4 h5 h6"
)
_HEADINGS = _words("h1 h2 h3 h4 h5 h6")
_EQUATION_TABLES = _words("ltx_eqn_table ltx_equation ltx_equationgroup ltx_eqn_align")
_FOOTNOTE_ROLES = _words("ltx_role_footnote ltx_role_footnotetext ltx_role_endnote")
_COLOR_MACROS = _words(r"\cellcolor \rowcolor \columncolor \color \textcolor \colorbox")
_COLOR_NAMES = _words(
    "red green blue gray grey lightgray darkgray yellow orange cyan magenta black white purple "
    "brown pink teal olive violet lime"
)
_COLOR_ARG = re.compile(r"^\s*(?:\[[A-Za-z]+\])?([A-Za-z]+(?:![\d.]+)?(?:![A-Za-z]+(?:![\d.]+)?)*)")
_NUMERIC_CITE = re.compile(r"[\d\s,;–\-]+")
_YEAR_OR_NUMBER = re.compile(r"\d+|\d{4}[a-z]")
_EMPTY: frozenset[str] = frozenset()


class Out:
    """Where rendered Markdown goes: finished blocks, plus the paragraph being written.

    ``flat`` output (table cells, footnotes, captions, titles) never breaks paragraphs: blocks
    are folded into one line.
    """

    __slots__ = ("blocks", "flat", "parts")

    def __init__(self, *, flat: bool = False) -> None:
        self.blocks: list[str] = []
        self.parts: list[str] = []
        self.flat = flat

    def text(self, text: str) -> None:
        self.parts.append(text)

    def flush(self) -> None:
        if self.flat:
            self.parts.append(" ")
            return
        if self.parts:
            para = normalize_space("".join(self.parts))
            self.parts.clear()
            if any(char.isalnum() for char in para):  # "[]" and lone punctuation are debris
                self.blocks.append(para)

    def block(self, markdown: str) -> None:
        if not markdown.strip():
            return
        if self.flat:
            self.parts.append(f" {markdown.replace(chr(10), ' ')} ")
            return
        self.flush()
        self.blocks.append(markdown)

    def inline(self) -> str:
        return normalize_space("".join(self.parts))

    def result(self) -> list[str]:
        self.flush()
        return self.blocks


class Renderer:
    """Renders LaTeXML nodes. ``bib_numbers`` maps bibitem ids to their numeric labels."""

    def __init__(self, bib_numbers: dict[str, str] | None = None) -> None:
        self.bib_numbers = bib_numbers or {}
        #: Called with (section node, level, Out) for sectioning elements in the main flow.
        self.on_section: Callable[[LexborNode, int, Out], None] | None = None
        #: True before the first section: paragraphs there that follow or hold a LaTeXML error
        #: are the arguments of an unknown front-matter macro (affiliations, tikz setup).
        self.front_matter = False
        self._after_error = False
        self._notes = True
        self._strip_color = False
        self._in_figure = 0
        self._in_cell = 0
        self._in_cite = False

    # -- entry points --------------------------------------------------------------------------
    def blocks(self, node: LexborNode) -> list[str]:
        """Markdown blocks of ``node``'s children."""
        out = Out()
        self.walk_children(node, out)
        return out.result()

    def inline(self, node: LexborNode, *, notes: bool = True) -> str:
        """``node``'s children as one line of text; ``notes=False`` drops footnotes."""
        saved, self._notes = self._notes, notes and self._notes
        try:
            out = Out(flat=True)
            self.walk_children(node, out)
            return out.inline()
        finally:
            self._notes = saved

    def walk_children(self, node: LexborNode, out: Out, skip: LexborNode | None = None) -> None:
        child = node.child
        while child is not None:
            if skip is None or child.mem_id != skip.mem_id:
                self.walk(child, out)
            child = child.next

    # -- the walk ------------------------------------------------------------------------------
    def walk(self, node: LexborNode, out: Out) -> None:
        tag = node.tag
        if tag == "-text":
            self._text(node.text_content or "", out)
            return
        if tag is None or tag.startswith("-") or tag in _SKIP_TAGS:
            return
        attrs = node.attributes
        cls = attrs.get("class")
        classes = frozenset(cls.split()) if cls else _EMPTY
        if classes & _SKIP_CLASSES or attrs.get("id") in _SKIP_IDS:
            if "ltx_ERROR" in classes:
                self._after_error = self.front_matter
                self._strip_color = node.text(deep=True).strip() in _COLOR_MACROS
            return
        if self._after_error or self.front_matter:
            after, self._after_error = self._after_error, False
            if ("ltx_para" in classes or tag == "p") and (after or _has_error(node)):
                return
        if tag == "math":
            self._math(node, attrs, out)
        elif "ltx_note" in classes:
            self._note(node, classes, out)
        elif tag == "cite":
            out.text(self._cite(node))
        elif self._in_cite and tag == "a":
            self._cite_anchor(node, attrs, out)
        elif self.on_section is not None and not out.flat and (level := _level(classes)):
            self.on_section(node, level, out)
        elif tag == "table" and classes & _EQUATION_TABLES:
            out.block(self._equation(node, out.flat))
        elif "ltx_tabular" in classes or tag == "table":
            out.block(self._tabular_flat(node) if out.flat else self._table(node))
        elif "ltx_listing" in classes or tag == "pre":
            out.block(listing_code(node, classes))
        elif tag in ("ul", "ol", "dl"):
            out.block(self._list(node, tag, out.flat))
        elif tag == "code":
            code = normalize_space(node.text(deep=True))
            fence = "``" if "`" in code else "`"
            out.text(f"{fence}{code}{fence}" if code else "")
        elif tag == "br":
            out.text(" ")
        elif "ltx_missing_label" in classes:
            out.text("??")  # a \ref to a label the source lacks (LaTeX prints "??" too)
        elif tag in _HEADINGS:
            title = self.inline(node, notes=False)
            out.block(title if out.flat else f"**{title}**")
        elif "ltx_classification" in classes or "ltx_keywords" in classes:
            out.block(self.inline(node))
        elif tag == "blockquote" and not out.flat:
            quoted = "\n\n".join(self.blocks(node))
            out.block("\n".join(f"> {line}".rstrip() for line in quoted.splitlines()))
        elif tag == "p" and self._in_figure and not self._in_cell and _has_error(node):
            return  # picture code that LaTeXML could not draw (tikz, pstricks): not text
        else:
            figure = tag == "figure" and "ltx_figure" in classes
            block = tag in _BLOCK_TAGS
            if block:
                out.flush()
            self._in_figure += figure
            self.walk_children(node, out)
            self._in_figure -= figure
            if block:
                out.flush()

    def _text(self, text: str, out: Out) -> None:
        if self._strip_color and text.strip():
            self._strip_color = False
            match = _COLOR_ARG.match(text)
            if match and ("!" in match.group(1) or match.group(1).lower() in _COLOR_NAMES):
                text = text[match.end() :]
        out.text(text.replace("$", "\\$") if "$" in text else text)  # "$" is math's delimiter

    # -- math ----------------------------------------------------------------------------------
    @staticmethod
    def math_tex(node: LexborNode) -> str:
        alt = node.attributes.get("alttext")
        if alt is None:
            ann = node.css_first('annotation[encoding="application/x-tex"]')
            alt = ann.text(deep=True) if ann is not None else node.text(deep=True)
        return clean_alttext(alt)

    def _math(self, node: LexborNode, attrs: dict[str, str | None], out: Out) -> None:
        tex = self.math_tex(node)
        if not tex:
            return
        if attrs.get("display") == "block" and not out.flat:
            out.block(f"$${tex}$$")
        else:
            out.text(f"${tex}$")

    def _equation(self, node: LexborNode, flat: bool) -> str:
        """A display equation (or a group/align): one ``$$…$$`` line per row, number kept."""
        delim = "$" if flat else "$$"
        lines = []
        for row in node.css("tr"):
            pieces: list[str] = []
            maths: list[str] = []
            number = ""
            cell = row.child
            while cell is not None:
                if cell.tag in ("td", "th"):
                    if "ltx_eqn_eqno" in classes_of(cell):
                        number = normalize_space(cell.text(deep=True))
                    elif found := cell.css("math"):
                        maths.extend(t for t in map(self.math_tex, found) if t)
                    elif text := self.inline(cell):
                        if maths:
                            pieces.append(f"{delim}{' '.join(maths)}{delim}")
                            maths = []
                        pieces.append(text)
                cell = cell.next
            if maths:
                pieces.append(f"{delim}{' '.join(maths)}{delim}")
            if number:
                pieces.append(number)
            if pieces:
                lines.append(" ".join(pieces))
        return "\n".join(lines)

    # -- notes and citations -------------------------------------------------------------------
    def _note(self, node: LexborNode, classes: frozenset[str], out: Out) -> None:
        if not self._notes or not classes & _FOOTNOTE_ROLES:
            return  # todo notes, footnote marks, front-matter notes
        content = node.css_first(".ltx_note_content") or node
        text = self.inline(content)
        if text:
            out.text(f" [Footnote: {text}]")

    def _cite(self, node: LexborNode) -> str:
        self._in_cite = True
        try:
            text = self.inline(node, notes=False)
        finally:
            self._in_cite = False
        text = text.replace(",,", ",")
        if len(text) > 1 and text[0] == "(" and text[-1] == ")" and _balanced(text[1:-1]):
            return f"[{text[1:-1].strip()}]"
        if text and _NUMERIC_CITE.fullmatch(text):
            return f"[{text}]"
        return text

    def _cite_anchor(self, node: LexborNode, attrs: dict[str, str | None], out: Out) -> None:
        text = normalize_space(node.text(deep=True))
        number = self.bib_numbers.get((attrs.get("href") or "").rpartition("#")[2])
        if number and text and " " not in text and not _YEAR_OR_NUMBER.fullmatch(text):
            text = number  # the anchor shows a bib key (unresolved \cite): use the item's number
        out.text(text)

    # -- tables and lists ----------------------------------------------------------------------
    def _cell_text(self, cell: LexborNode) -> str:
        self._in_cell += 1
        try:
            return self.inline(cell).replace("|", "\\|")
        finally:
            self._in_cell -= 1

    def _table(self, node: LexborNode) -> str:
        rows: list[TableRow] = [
            (
                [
                    (self._cell_text(c), span_of(c, "colspan"), span_of(c, "rowspan"))
                    for c in row_cells(r)
                ],
                head,
            )
            for r, head in table_rows(node)
        ]
        return markdown_table(rows)

    def _tabular_flat(self, node: LexborNode) -> str:
        rows = (" ".join(filter(None, map(self.inline, row_cells(r)))) for r, _ in table_rows(node))
        return " ".join(filter(None, rows))

    def _list(self, node: LexborNode, tag: str, flat: bool) -> str:
        items: list[tuple[str, list[str]]] = []
        child = node.child
        while child is not None:
            if child.tag == "dt":
                items.append((self.inline(child), []))
            elif child.tag in ("li", "dd"):
                label_node = child.css_first(".ltx_tag_item") if child.tag == "li" else None
                if label_node is not None and (
                    label_node.parent is None or label_node.parent.mem_id != child.mem_id
                ):
                    label_node = None  # the label of a nested list's item
                label = self.inline(label_node) if label_node is not None else ""
                out = Out(flat=flat)
                self.walk_children(child, out, skip=label_node)
                content = [out.inline()] if flat else out.result()
                if child.tag == "dd" and items and not items[-1][1]:
                    items[-1] = (items[-1][0], content)
                else:
                    items.append((label, content))
            child = child.next
        if flat:
            return " ".join(" ".join(filter(None, [label, *blocks])) for label, blocks in items)
        return "\n".join(item_markdown(tag, label, blocks) for label, blocks in items)


def _level(classes: frozenset[str]) -> int:
    for cls in classes:
        level = SECTION_LEVELS.get(cls)
        if level:
            return level
    return 0


def _has_error(node: LexborNode) -> bool:
    return node.css_first(".ltx_ERROR") is not None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth < 0:
            return False
    return depth == 0
