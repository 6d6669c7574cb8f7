"""Verify, extraction: the numbers and technical names a summary states.

Numbers keep their unit ("97.81%", "2.34 gFID", "4B–32B", "1.65x", "10k steps", "81 triệu").
Names are tokens with digits ("Qwen2.5-7B", "GPT-4o"), camel case or acronyms ("ImageNet", "MMLU",
"LLaDA"), and mid-sentence Capitalized runs ("Full Context", "Gemini 2.5 Pro"); a Capitalized
word that opens a sentence, a list item, a quote or a parenthesis is ordinary prose. Technical
names are ASCII inside Vietnamese or Chinese prose, so only ASCII words are names, never a piece
of an accented word ("Vi" of "Việt") nor an unaccented Vietnamese syllable ("Anh", "Nam").

Skipped as trivial: bare integers below 10 (list numbering, "(1)"), a lone bare year 1990–2039
(dates and citations say nothing checkable), dates, times, arXiv ids, URLs and generic acronyms
(LLM, GPU, AI) standing alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from typing import Any, Literal

from dailypapers.verify.text import MEASURES, VALUE, VALUE_RE, prepare

__all__ = ["Kind", "extract_claims", "extract_typed", "name_kind"]

Kind = Literal["number", "name"]

_SKIP = (
    r"(?:https?://|www\.)\S+|\d{4}-\d{1,2}-\d{1,2}|\d{1,2}:\d{2}(?::\d{2})?|\d{4}\.\d{4,5}(?:v\d+)?"
)
_NUMBER = rf"{VALUE}(?:\s?(?:-|~|to|đến|至)\s?{VALUE})?(?:\s?(?:{MEASURES}))?(?![A-Za-z0-9])"
_NAME = r"[A-Za-z0-9]+(?:[-.+_][A-Za-z0-9]+)*"
_SCAN = re.compile(rf"(?P<skip>{_SKIP})|(?<![A-Za-z0-9_.])(?P<num>{_NUMBER})|(?P<name>{_NAME})")
_MEASURED = re.compile(rf"\d\s?(?:{MEASURES})$")

#: Generic acronyms that name no model, data set or benchmark.
_GENERIC = frozenset(
    re.findall(
        r"\S+",
        "ai ml nlp cv gpu gpus cpu cpus tpu api apis sota flops llm llms vlm vlms mllm mllms lm "
        "lms rl ui ok pdf html json url id ids vs etc ie eg na",
    )
)
#: Capitalized words that point into the paper or open a clause, not names.
_TITLE_STOP = frozenset(
    re.findall(
        r"\S+",
        "section sections table tables figure figures fig appendix equation eq algorithm step "
        "stage phase part chapter here this these those that the a an in on for and or but",
    )
)
_CONNECTORS = frozenset({"of", "for", "and", "in", "on", "to", "the", "with", "via", "&"})
_ENUMERATOR = re.compile(r"(?:^|\s)\(?(?:\d{1,2}|[ivx]{1,4}|[a-z])\)$")
_VERSION = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
_DOTTED_VERSION = re.compile(r"\d{1,2}\.\d{1,2}")
_VIETNAMESE = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
#: A Vietnamese syllable written without its accents ("Anh", "Nam", "Khoa"): a word, not a model.
_VI_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?",
    re.I,
)


def _walk(fields: Any, prefix: str) -> list[tuple[str, str]]:
    """(dotted field name, string) for every string in a nested dict / list value."""
    if isinstance(fields, dict):
        out: list[tuple[str, str]] = []
        for key, value in fields.items():
            out += _walk(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(fields, list | tuple):
        return [pair for item in fields for pair in _walk(item, prefix)]
    if isinstance(fields, str):
        return [(prefix, fields)]
    if isinstance(fields, int | float) and not isinstance(fields, bool):
        return [(prefix, str(fields))]
    return []


def _is_trivial_number(claim: str) -> bool:
    """Bare integers below 10 (list numbering) and a lone bare year carry nothing to check."""
    values = [m.group(0) for m in VALUE_RE.finditer(claim)]
    measured = _MEASURED.search(claim) is not None
    for raw in values:
        bare = raw.lstrip("+±-")
        if not bare.isdigit():  # a decimal, a scale, a percent, a multiplier
            return False
        number = int(bare)
        year = len(values) == 1 and not measured and 1990 <= number <= 2039
        if number >= 10 and not year:
            return False
    return True


def _sentence_start(text: str, start: int) -> bool:
    """True if a word at ``start`` opens a sentence, a list item, a heading or a quote."""
    before = text[max(0, start - 80) : start]
    stripped = before.rstrip()
    if not stripped or "\n" in before[len(stripped) :] or _ENUMERATOR.search(stripped):
        return True
    if stripped[-1] in ".!?:;\"'“”‘’(*[#>|-•…":
        return True
    word = stripped.rsplit(None, 1)[-1]  # after a capitalized accented word ("Việt Nam")
    return word[:1].isupper() and not word.isascii()


def name_kind(token: str) -> str | None:
    """ "strong" (digits, camel case, acronym), "title" (a Capitalized word), "generic" or None."""
    if token.lower() in _GENERIC:
        return "generic" if token[0].isupper() else None
    letters = sum(c.isalpha() for c in token)
    digits = sum(c.isdigit() for c in token)
    if digits and (letters >= 2 or (letters == 1 and digits >= 2)):
        return "strong"
    if any(c.isupper() and token[i - 1].isalpha() for i, c in enumerate(token) if i):
        return "strong"
    if token[0].isupper() and not digits and len(token) > 1 and token.lower() not in _TITLE_STOP:
        return "title"
    return None


def _inside_word(text: str, start: int, end: int) -> bool:
    """True if an ASCII run is part of a longer accented Latin word ("Vi" of "Việt")."""
    for ch in (text[start - 1 : start], text[end : end + 1]):
        if ch and ch.isalpha() and not ch.isascii() and "LATIN" in unicodedata.name(ch, ""):
            return True
    return False


def _title_follows(scan: str, matches: list[re.Match[str]], i: int) -> bool:
    """True if the match after ``i`` is a Capitalized word one space away."""
    if i + 1 >= len(matches) or scan[matches[i].end() : matches[i + 1].start()] != " ":
        return False
    return name_kind(matches[i + 1].group(0)) == "title"


class _Run:
    """A run of Capitalized words (with "of", "for", ... and version numbers inside)."""

    def __init__(self) -> None:
        self.spans: list[tuple[int, int]] = []
        self.claim = False  # False when the run opens a sentence ("Dynamic Large ...")
        self.last = ""  # "title", "connector" or "version"
        self.named = False  # has a word that is not a generic acronym ("AI" alone is no claim)

    def add(self, span: tuple[int, int], last: str, *, named: bool = False) -> None:
        self.spans.append(span)
        self.last = last
        self.named = self.named or named


def _claims_in(text: str) -> list[tuple[str, Kind]]:
    nfkc = unicodedata.normalize("NFKC", text)
    scan = prepare(text)  # same length as nfkc: dashes are replaced one for one
    vietnamese = _VIETNAMESE.search(scan) is not None
    claims: list[tuple[str, Kind]] = []
    run = _Run()

    def flush() -> None:
        nonlocal run
        if run.spans and run.last == "connector":
            run.spans.pop()
        words = nfkc[run.spans[0][0] : run.spans[-1][1]] if run.spans else ""
        if run.claim and run.named and not (vietnamese and _VI_SYLLABLE.fullmatch(words)):
            claims.append((words, "name"))
        run = _Run()

    matches = [m for m in _SCAN.finditer(scan) if not _inside_word(scan, *m.span())]
    for i, m in enumerate(matches):
        token, gap = m.group(0), scan[matches[i - 1].end() : m.start()] if i else "\n"
        kind = name_kind(token) if m.lastgroup == "name" else None
        joined = bool(run.spans) and gap in (" ", "-")
        if kind in ("title", "generic"):  # "Full Context", "AI Safety"
            if not joined:
                flush()
                run.claim = not _sentence_start(scan, m.start())
            run.add(m.span(), "title", named=kind == "title")
            continue
        after_title = joined and run.last == "title"
        if after_title and token in _CONNECTORS and _title_follows(scan, matches, i):
            run.add(m.span(), "connector")  # "Chain of Thought"
            continue
        version = _VERSION if run.claim else _DOTTED_VERSION
        if after_title and m.lastgroup == "num" and version.fullmatch(token):
            run.add(m.span(), "version")  # "Gemini 2.5 Pro", "Llama 3"
            run.claim = True
            continue
        flush()
        if m.lastgroup == "num" and not _is_trivial_number(token):
            claims.append((nfkc[m.start() : m.end()].strip(), "number"))
        elif kind == "strong":
            claims.append((nfkc[m.start() : m.end()], "name"))
    flush()
    return claims


def _skipped(name: str, skip: Collection[str]) -> bool:
    return any(name == s or name.startswith((f"{s}.", f"{s}[")) for s in skip)


def extract_typed(
    fields: dict[str, Any], skip: Collection[str] = ()
) -> list[tuple[str, str, Kind]]:
    """``extract_claims`` with the kind typed as a Literal."""
    out: list[tuple[str, str, Kind]] = []
    seen: set[tuple[str, str]] = set()
    for name, text in _walk(fields, ""):
        if _skipped(name, skip):
            continue
        for claim, kind in _claims_in(text):
            if (name, claim) not in seen:
                seen.add((name, claim))
                out.append((name, claim, kind))
    return out


def extract_claims(
    fields: dict[str, Any], *, skip: Collection[str] = ()
) -> list[tuple[str, str, str]]:
    """Every (field, claim, kind) of a summary; kind is "number" or "name".

    ``fields`` may nest dicts (a group's sub-fields become ``group.sub``) and lists (items keep
    their list's name). A claim repeated within one field is listed once. Fields named in
    ``skip`` (and their sub-fields) are left out: ideas and speculation are not claims.
    """
    return list(extract_typed(fields, skip))
