"""Pure builders for the LaTeXML reader: Markdown tables, code listings, list items, DOM helpers.

Owns the parts of :mod:`dailypapers.fulltext.latexml` that need no rendering state: walking a
tabular's rows and cells, laying out a Markdown table from cell texts with their col/row spans,
reading a listing's code (from its base64 download link when LaTeXML left one, else its lines),
list markers, and the small text helpers both modules share.
"""

from __future__ import annotations

import base64
import binascii
import re

from selectolax.lexbor import LexborNode

__all__ = [
    "TableRow",
    "classes_of",
    "clean_alttext",
    "item_markdown",
    "listing_code",
    "markdown_table",
    "normalize_space",
    "row_cells",
    "span_of",
    "table_rows",
]

#: One row of a table: (cell text, colspan, rowspan) for each cell, and whether it is a header.
TableRow = tuple[list[tuple[str, int, int]], bool]

_WS = re.compile(r"\s+")
_ALT_WRAP = re.compile(r"(?<!\\)%\n[ \t]*")
_ORDERED_LABEL = re.compile(r"\d{1,3}[.)]")
_BULLETS = frozenset({"•", "∙", "–", "-", "—", "∘", "◦", "▪", "⋆", "*", "·", "○", "■", "►", "‣"})
_EMPTY: frozenset[str] = frozenset()
_DATA_URL = "data:text/plain;base64,"


def normalize_space(text: str) -> str:
    """Collapse every run of whitespace (NBSP included) to one space and strip the ends."""
    return _WS.sub(" ", text).strip()


def clean_alttext(alt: str) -> str:
    """LaTeX from an ``alttext``: LaTeXML's ``%``+newline line wraps undone, spaces collapsed."""
    return normalize_space(_ALT_WRAP.sub("", alt))


def classes_of(node: LexborNode) -> frozenset[str]:
    cls = node.attributes.get("class")
    return frozenset(cls.split()) if cls else _EMPTY


# -- tables ----------------------------------------------------------------------------------------
def table_rows(node: LexborNode, head: bool = False) -> list[tuple[LexborNode, bool]]:
    """The rows of a tabular (``tr`` or ``span.ltx_tr``), not those of tabulars nested in cells."""
    rows: list[tuple[LexborNode, bool]] = []
    child = node.child
    while child is not None:
        tag = child.tag
        if tag and tag[0] != "-":
            classes = classes_of(child)
            if tag == "tr" or "ltx_tr" in classes:
                rows.append((child, head))
            elif tag not in ("td", "th") and "ltx_td" not in classes:
                rows.extend(table_rows(child, head or tag == "thead" or "ltx_thead" in classes))
        child = child.next
    return rows


def row_cells(row: LexborNode) -> list[LexborNode]:
    cells = []
    child = row.child
    while child is not None:
        if child.tag in ("td", "th") or (child.tag == "span" and "ltx_td" in classes_of(child)):
            cells.append(child)
        child = child.next
    return cells


def span_of(cell: LexborNode, name: str) -> int:
    """A cell's colspan or rowspan, 1 when absent or odd, capped against hostile values."""
    value = cell.attributes.get(name) or "1"
    return max(1, min(int(value), 100)) if value.isdigit() else 1


def markdown_table(rows: list[TableRow]) -> str:
    """A Markdown table: leading header rows merged into one header, spans laid out as cells.

    A colspan repeats a header's text over its columns ("Accuracy dev", "Accuracy test") and
    leaves body cells empty; a rowspan leaves the cells below it empty.
    """
    grid: list[list[str]] = []
    heads: list[bool] = []
    carry: dict[int, int] = {}  # column -> rows still covered by a rowspan above
    for cells, head in rows:
        line: list[str] = []
        for text, span, down in cells:
            while carry.get(len(line), 0) > 0:
                carry[len(line)] -= 1
                line.append("")
            col = len(line)
            line.extend([text] + [text if head else ""] * (span - 1))
            if down > 1:
                carry.update({c: down - 1 for c in range(col, col + span)})
        for col in sorted(c for c, n in carry.items() if n > 0 and c >= len(line)):
            line.extend([""] * (col - len(line) + 1))
            carry[col] -= 1
        if any(line):
            grid.append(line)
            heads.append(head)
    if not grid:
        return ""
    width = max(len(r) for r in grid)
    for r in grid:
        r.extend([""] * (width - len(r)))
    n_head = min(max(1, next((i for i, h in enumerate(heads) if not h), len(heads))), len(grid))
    header = [_merge(column) for column in zip(*grid[:n_head], strict=True)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(r) + " |" for r in grid[n_head:]]
    return "\n".join(lines)


def _merge(column: tuple[str, ...]) -> str:
    seen: list[str] = []
    for value in column:
        if value and value not in seen:
            seen.append(value)
    return " ".join(seen)


# -- listings and lists ----------------------------------------------------------------------------
def listing_code(node: LexborNode, classes: frozenset[str]) -> str:
    """A fenced code block from ``pre`` or an ``ltx_listing`` (empty string if no code)."""
    code = None
    if node.tag == "pre":
        code = node.text(deep=True)
    else:
        data = node.css_first(".ltx_listing_data a")
        href = (data.attributes.get("href") or "") if data is not None else ""
        if href.startswith(_DATA_URL):
            try:
                code = base64.b64decode(href[len(_DATA_URL) :]).decode("utf-8")
            except (binascii.Error, ValueError):
                code = None
    if code is None:
        lines = []
        for line in node.css(".ltx_listingline"):
            parts: list[str] = []
            _line_text(line, parts)
            lines.append("".join(parts).rstrip())
        code = "\n".join(lines)
    code = code.replace("\xa0", " ").replace("\r\n", "\n").strip("\n").rstrip()
    if not code.strip():
        return ""
    lang = next((c[17:].lower() for c in classes if c.startswith("ltx_lst_language_")), "")
    fence = "~~~~" if "```" in code else "```"
    return f"{fence}{lang}\n{code}\n{fence}"


def _line_text(node: LexborNode, parts: list[str]) -> None:
    """A listing line's text: math as ``$alttext$`` (algorithms), line numbers left out."""
    child = node.child
    while child is not None:
        if child.tag == "-text":
            parts.append(child.text_content or "")
        elif child.tag == "math":
            parts.append(f"${clean_alttext(child.attributes.get('alttext') or '')}$")
        elif child.tag and child.tag[0] != "-" and "ltx_tag_listingline" not in classes_of(child):
            _line_text(child, parts)
        child = child.next


def item_markdown(list_tag: str, label: str, blocks: list[str]) -> str:
    """One list item: "- " (bullets), "1. " (numbered), "- (a) " (other labels), "- **Term** "."""
    if list_tag == "dl":
        marker = f"- **{label}** " if label else "- "
    elif list_tag == "ol" and _ORDERED_LABEL.fullmatch(label):
        marker = f"{label} "
    elif not label or label in _BULLETS:
        marker = "- "
    else:
        marker = f"- {label} "
    pad = " " * min(len(marker), 4)
    lines = "\n\n".join(blocks).splitlines() or [""]
    text = "\n".join(
        (marker if i == 0 else pad) + line if line else "" for i, line in enumerate(lines)
    )
    return text.rstrip()
