"""Which part of a paper a section is, from its title and place: the selector's priority classes.

:func:`classify_sections` gives each top-level section title of a paper a class, most wanted
first: abstract, introduction, method, experiments/results, conclusion, the rest (related work,
background, discussion, limitations, ...), appendices and back matter (acknowledgments, ethics,
impact and reproducibility statements), references. Numbering (``3``, ``3.1``, ``IV.``, ``A``,
``Appendix B``) is ignored when reading a title, but used for place:

- a section lettered ``A``, ``B``, ... after numbered ones, or titled "Appendix"/"Supplementary",
  starts the appendices, and every later section but the references is an appendix too;
- a section whose title names no known part (``3 Refusal Index``, ``4 Structure of BELLS``) is
  method when it comes after the first section and before any results or conclusion, else rest.
"""

from __future__ import annotations

import re

__all__ = [
    "ABSTRACT",
    "APPENDIX",
    "CONCLUSION",
    "CORE",
    "INTRO",
    "METHOD",
    "REFERENCES",
    "REST",
    "RESULTS",
    "classify",
    "classify_sections",
]

ABSTRACT, INTRO, METHOD, RESULTS, CONCLUSION, REST, APPENDIX, REFERENCES = range(8)
#: The classes that are cut to fit rather than dropped.
CORE = frozenset({ABSTRACT, INTRO, METHOD, RESULTS, CONCLUSION})

_NUMBERING = re.compile(
    r"^\s*(?:(?:[Aa]ppendix\s+|APPENDIX\s+)?(?P<label>[A-Z]|\d+|[IVXLC]+)(?:\.\d+)*\.?)(?:\s+|$)"
)
_APPENDIX_RE = re.compile(r"\bappendi|\bsupplement", re.I)
_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (
        APPENDIX,
        re.compile(
            r"^(?:acknowledge?ments?|ethic|broader impact|impact statement|author contribution"
            r"|reproducibility|funding|competing interest|conflicts? of interest|declaration)",
            re.I,
        ),
    ),
    (REFERENCES, re.compile(r"^(?:references?|bibliography|works cited|literature cited)\b", re.I)),
    (ABSTRACT, re.compile(r"^abstract\b", re.I)),
    (INTRO, re.compile(r"\bintroduction\b|^overview$|^motivation\b", re.I)),
    (CONCLUSION, re.compile(r"\bconclu|\bfuture work|\bclosing remarks|^summary\b", re.I)),
    (
        REST,
        re.compile(
            r"\brelated work|\bprior work|\bliterature review|^background\b|^discussion\b"
            r"|\blimitation|\bthreats to validity|\bethical consideration",
            re.I,
        ),
    ),
    (
        RESULTS,
        re.compile(
            r"\bexperiment|\bevaluat|\bresults?\b|\bbenchmark|\bablation|\banalys[ie]s"
            r"|\bempirical|\bperformance|\bcomparison|\bcase stud|\bfindings\b",
            re.I,
        ),
    ),
    (
        METHOD,
        re.compile(
            r"\bmethod|\bapproach|\bframework|\barchitecture|\balgorithm|\bmodel\b|\bmodels\b"
            r"|\bproposed|\bformulation|\bpreliminar|\bproblem (?:setting|statement|definition)"
            r"|\bdesign\b|\bpipeline|\btraining\b|\bsystem overview|\bour\b",
            re.I,
        ),
    ),
]


def _name(title: str) -> str:
    return _NUMBERING.sub("", title, count=1).strip() or title.strip()


def _label(title: str) -> str | None:
    """The numbering label of a title ("3", "IV", "A"), if it has one and more text after it."""
    match = _NUMBERING.match(title)
    if not match or not title[match.end() :].strip():
        return None
    return match.group("label")


def classify(title: str) -> int | None:
    """The class a title names by itself, or None when it names no known part."""
    if _APPENDIX_RE.search(title):
        return APPENDIX
    name = _name(title)
    for cls, pattern in _PATTERNS:
        if pattern.search(name):
            return cls
    return None


def classify_sections(titles: list[str]) -> list[int]:
    """The class of each top-level section title, in order, using titles and places."""
    classes: list[int] = []
    seen_number = in_appendix = False
    for index, title in enumerate(titles):
        cls = classify(title)
        label = _label(title)
        if label and label.isdigit():
            seen_number = True
        elif label and len(label) == 1 and seen_number:
            in_appendix = True  # "A Proofs" after "1 Introduction"
        if _APPENDIX_RE.search(title):
            in_appendix = True
        if in_appendix and cls != REFERENCES:
            cls = APPENDIX
        elif cls is None:
            before_results = not any(c in (RESULTS, CONCLUSION) for c in classes)
            cls = METHOD if index > 0 and before_results else REST
        classes.append(cls)
    return classes
