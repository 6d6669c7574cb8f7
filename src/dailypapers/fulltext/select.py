"""The token budget selector: which parts of a paper's text the LLM gets to read.

:func:`select_text` fits a :class:`~dailypapers.models.FullText` into a budget of tokens:

1. The text is cut into *units*: the abstract, each top-level section together with its
   subsections, and the references. :mod:`.sectioning` gives each unit a priority class:
   abstract, introduction, method, experiments/results, conclusion (the *core*), then the rest,
   appendices and back matter, references.
2. Whole core units are kept in priority order (ties in the paper's order) while they fit and
   leave room (``RESERVE_TOKENS`` each) for the opening of every core unit after them, so that
   results and conclusion are never squeezed out by a long method section.
3. From the first core unit that does not fit, the remaining core units share what is left: in
   rounds, each takes its next sentence (a list item for lists; a table, display formula or code
   block only whole) while it fits, so each keeps a leading part of itself, cut only at a
   paragraph or sentence boundary and marked with a ``[…]`` line.
4. Only when the whole core fits, the rest, the appendices and the references are added whole,
   in priority order, until one does not fit: that one is cut the same way if it belongs to the
   rest (appendices and references never are), and nothing after it is kept.

The output keeps the paper's own order (abstract first, references last) in the layout of
``FullText.markdown``; when everything fits it is that text with the references appended.
:class:`Selection` names the units kept (`` (partial)`` when cut) and dropped.

Token counts are a character heuristic (no tokenizer download): see :func:`estimate_tokens`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ..errors import UsageError
from ..models import FullText
from .sectioning import ABSTRACT, CORE, REFERENCES, REST, classify_sections

__all__ = ["Selection", "estimate_tokens", "select_text"]

#: Room (tokens) a whole core section must leave for the opening of each core section after it.
RESERVE_TOKENS = 150
_CUT_MARK = "[…]"
_SEP = "\n\n"


@dataclass
class Selection:
    """What the LLM reads: ``text`` (Markdown), its estimated ``tokens``, and what was left out."""

    text: str
    tokens: int
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    truncated: bool = False


# -- token estimate ---------------------------------------------------------------------------


_ASCII_WORDISH = re.compile(r"[A-Za-z0-9 \t\n\r\x0b\x0c\x1c-\x1f]+")
_ASCII = re.compile(r"[\x00-\x7f]+")
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0010ffff]+")


def _count(pattern: re.Pattern[str], text: str) -> int:
    return len(text) - len(pattern.sub("", text))


def _cost(text: str) -> float:
    """Tokens of ``text`` as an exact sum of per-character weights (additive over pieces).

    ASCII letters, digits and whitespace weigh 1/4; other ASCII 1/2; CJK 1; other non-ASCII 1/2.
    Counted with regular expressions (C speed), since this runs on every block of every paper.
    """
    wordish = _count(_ASCII_WORDISH, text)
    ascii_other = _count(_ASCII, text) - wordish
    cjk = _count(_CJK, text)
    other = len(text) - wordish - ascii_other - cjk
    return 0.25 * wordish + 0.5 * ascii_other + 1.0 * cjk + 0.5 * other


def estimate_tokens(text: str) -> int:
    """Estimated LLM tokens of ``text``, erring high rather than low.

    English letters, digits and spaces count 1/4 token each (about 4 characters a token, as the
    common BPE tokenizers give for English prose), ASCII punctuation and symbols 1/2 (LaTeX and
    tables split into many short tokens), CJK characters 1 each, other non-ASCII characters 1/2.
    """
    return math.ceil(_cost(text))


# -- the text as units ------------------------------------------------------------------------


@dataclass
class _Block:
    """One paragraph (or table, list, display math) with the headings that open it, if any."""

    headings: str  # "## 3 Method\n\n### 3.1 Encoder\n\n" or ""
    body: str

    @property
    def text(self) -> str:
        return (self.headings + self.body).rstrip()

    def atoms(self) -> list[str]:
        """Pieces to keep one by one: the headings go with the first sentence, never alone."""
        if not self.body or _atomic(self.body):
            return [self.text]
        sentences = _sentences(self.body)
        return [self.headings + sentences[0], *sentences[1:]]


@dataclass
class _Unit:
    order: int
    title: str
    cls: int
    blocks: list[_Block] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # kept block texts, in order
    partial: bool = False


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of Markdown ``text``, never splitting a fenced code block or ``$$`` math."""
    blocks: list[str] = []
    current: list[str] = []
    fence = math_open = False
    for line in text.strip().split("\n"):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = not fence
        if not fence and stripped.count("$$") % 2 == 1:
            math_open = not math_open
        if not stripped and not fence and not math_open:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line.rstrip())
    if current:
        blocks.append("\n".join(current))
    return [b for b in blocks if b.strip()]


def _add(unit: _Unit, heading: str, text: str, pending: list[str]) -> None:
    """Append a section's heading and paragraphs; a heading with no text waits for the next."""
    pending.append(heading + _SEP)
    for paragraph in _paragraphs(text):
        unit.blocks.append(_Block("".join(pending), paragraph))
        pending.clear()


def _close(unit: _Unit | None, pending: list[str]) -> None:
    if unit is not None and pending:
        unit.blocks.append(_Block("".join(pending), ""))
    pending.clear()


def _units(ft: FullText) -> list[_Unit]:
    units: list[_Unit] = []
    pending: list[str] = []
    if ft.abstract and ft.abstract.strip():
        units.append(_Unit(0, "Abstract", ABSTRACT))
        _add(units[0], "## Abstract", ft.abstract, pending)
    top = min((s.level for s in ft.sections), default=1)
    current: _Unit | None = None
    body: list[_Unit] = []
    for section in ft.sections:
        heading = f"{'#' * min(section.level + 1, 6)} {section.title}"
        if section.level <= top or current is None:
            _close(current, pending)
            current = _Unit(len(units), section.title.strip() or "Untitled", REST)
            units.append(current)
            body.append(current)
        _add(current, heading, section.text, pending)
    _close(current, pending)
    for unit, cls in zip(body, classify_sections([u.title for u in body]), strict=True):
        unit.cls = cls
    refs = [r.strip() for r in ft.references if r and r.strip()]
    if refs:
        units.append(_Unit(len(units), "References", REFERENCES))
        _add(units[-1], "## References", "\n".join(refs), pending)
    return units


# -- sentences --------------------------------------------------------------------------------

_ABBREVIATIONS = {
    "al", "approx", "cf", "e.g", "eg", "eq", "eqs", "et", "etc", "fig", "figs", "i.e", "ie",
    "no", "nos", "ref", "refs", "resp", "sec", "secs", "sect", "tab", "vs", "viz", "dr", "mr",
    "ms", "st", "prof", "thm", "lem", "def", "alg", "app", "ch", "vol", "pp",
}  # fmt: skip
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9(\[$\\\"“])|(?<=[。！？])")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")


def _atomic(block: str) -> bool:
    """A table, display math, code block or HTML/image line: kept whole or not at all."""
    first = block.lstrip()
    return first.startswith(("|", "$$", "```", "~~~", "\\[", "<", "![")) or first.endswith("$$")


def _sentences(block: str) -> list[str]:
    """``block`` split after sentence ends (not inside ``$…$``, not after an abbreviation).

    A list is split into its items instead. Each piece keeps its trailing whitespace, so the
    pieces join back into ``block``.
    """
    if _LIST_ITEM.match(block):
        items: list[str] = []
        for line in block.split("\n"):
            if items and not _LIST_ITEM.match(line):
                items[-1] += "\n" + line
            else:
                items.append(line)
        return [item + "\n" for item in items[:-1]] + items[-1:]
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(block):
        end = match.end()
        before = block[start : match.start()]
        if (block[:end].count("$") - block[:end].count("\\$")) % 2:
            continue  # inside $…$
        word = re.search(r"([A-Za-z][A-Za-z.]*)\.\W*$", before)
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        if re.search(r"(?:^|\s)[A-Z]\.\W*$", before):
            continue  # an initial: "J. Smith"
        pieces.append(block[start:end])
        start = end
    pieces.append(block[start:])
    return [p for p in pieces if p]


# -- choosing ---------------------------------------------------------------------------------


@dataclass
class _Growth:
    """A unit being kept sentence by sentence."""

    unit: _Unit
    atoms: list[tuple[int, str]]  # (block index, atom), in order
    taken: int = 0
    texts: list[str] = field(default_factory=list)
    block: int = -1


def _share(units: list[_Unit], remaining: float) -> float:
    """Give ``units`` (none of which fits whole) leading sentences in turns; returns what is left.

    Each round, every unit still growing takes its next sentence (or table, list item, display
    formula) if it fits, in priority order, so the budget is spread over all of them and the more
    wanted ones get the last crumbs. A unit stops at its first piece that does not fit.
    """
    sep = _cost(_SEP)
    mark = _cost(_CUT_MARK) + sep
    growing = [
        _Growth(u, [(i, atom) for i, b in enumerate(u.blocks) for atom in b.atoms()]) for u in units
    ]
    done: list[_Growth] = []
    while growing:
        for state in list(growing):
            index, atom = state.atoms[state.taken]
            new_block = index != state.block
            cost = _cost(atom) + (sep if new_block else 0.0) + (0.0 if state.texts else mark)
            if cost > remaining:
                growing.remove(state)
                done.append(state)
                continue
            remaining -= cost
            if new_block:
                state.texts.append(atom)
            else:
                state.texts[-1] += atom
            state.block = index
            state.taken += 1
            if state.taken == len(state.atoms):
                growing.remove(state)
                done.append(state)
                remaining += mark  # complete after all: no cut mark
    for state in done:
        kept = [t.rstrip() for t in state.texts if t.strip()]
        if kept and state.taken < len(state.atoms):
            state.unit.kept, state.unit.partial = [*kept, _CUT_MARK], True
        elif kept:
            state.unit.kept = kept
    return remaining


def select_text(ft: FullText, budget_tokens: int) -> Selection:
    """The parts of ``ft`` that fit ``budget_tokens``, by section priority, in the paper's order."""
    if budget_tokens < 1:
        raise UsageError(f"token budget must be at least 1, not {budget_tokens}")
    units = [u for u in _units(ft) if u.blocks]
    sep = _cost(_SEP)
    # Every kept block is charged one separator: one more than the text has, a small margin.
    remaining = float(budget_tokens) - _cost("\n")

    def cost(unit: _Unit) -> float:
        return sum(_cost(b.text) + sep for b in unit.blocks)

    def whole(unit: _Unit, reserve: float = 0.0) -> bool:
        nonlocal remaining
        if cost(unit) > remaining - reserve:
            return False
        unit.kept = [b.text for b in unit.blocks]
        remaining -= cost(unit)
        return True

    ranked = sorted(units, key=lambda u: (u.cls, u.order))
    core = [u for u in ranked if u.cls in CORE]
    # Whole core sections in priority order, each leaving room for the opening of the ones after
    # it; from the first that does not fit, they share what is left.
    reserves = [sum(min(cost(u), RESERVE_TOKENS) for u in core[i + 1 :]) for i in range(len(core))]
    first_miss = next((i for i, u in enumerate(core) if not whole(u, reserves[i])), len(core))
    remaining = _share(core[first_miss:], remaining)
    if first_miss == len(core):  # the rest only once the core is whole
        for unit in (u for u in ranked if u.cls not in CORE):
            if not whole(unit):
                if unit.cls == REST:
                    remaining = _share([unit], remaining)
                break  # nothing of lower priority while this one is not whole

    parts = [text for unit in units for text in unit.kept]
    text = _SEP.join(parts) + "\n" if parts else ""
    kept_names = [u.title + (" (partial)" if u.partial else "") for u in units if u.kept]
    dropped = [u.title for u in units if not u.kept]
    return Selection(
        text=text,
        tokens=estimate_tokens(text),
        kept=kept_names,
        dropped=dropped,
        truncated=bool(dropped) or any(u.partial for u in units),
    )
