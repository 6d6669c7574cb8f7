"""Words for the PDF reader: joining printed lines, and undoing hyphenation at line ends.

A private helper of ``fulltext/pdf.py``: :func:`join_lines` decides, for a word split by a hyphen
at the end of a line, whether the hyphen was the typesetter's (it goes) or the author's (it
stays), from how the document itself spells its words (:func:`vocabulary`).
"""

from __future__ import annotations

import re
from collections import Counter

from ._pdf_chars import Line

__all__ = ["is_hyphen_break", "join_lines", "vocabulary"]


def is_hyphen_break(left: str) -> bool:
    return len(left) >= 2 and left[-1] == "-" and left[-2].isalpha()


def join_lines(left: str, right: str, vocab: Counter[str]) -> str:
    """Join two printed lines, re-joining a word hyphenated across the break.

    ``vocab`` counts the document's own words. The hyphen goes when the joined word occurs
    elsewhere ("bench-" + "mark"); it stays when the next line starts with a capital or a digit,
    when the document spells the compound with a hyphen elsewhere ("multi-" + "step"), or when
    both halves are words the document uses on their own ("language-" + "specific"). Otherwise
    it was the typesetter's and goes.
    """
    if not left:
        return right
    if not right:
        return left
    if is_hyphen_break(left):
        head = re.search(r"([\w-]*)-$", left)
        tail = re.match(r"[\w-]*", right)
        first = (head.group(1) if head else "").split("-")[-1]
        second = tail.group(0).split("-")[0] if tail else ""
        joined = (first + second).lower()
        if first.isupper() and second.isupper():  # capitals: "RE-" + "LATIONAL"
            return left[:-1] + right if vocab[joined] else left + right
        if not right[0].islower():
            return left + right
        if vocab[joined]:
            return left[:-1] + right
        if vocab[f"{first}-{second}".lower()] or (
            min(len(first), len(second)) >= 3 and vocab[first.lower()] and vocab[second.lower()]
        ):
            return left + right
        return left[:-1] + right
    if left[-1] in "–—/":
        return left + right
    return left + " " + right


def vocabulary(lines: list[Line]) -> Counter[str]:
    """How often each word (and hyphenated compound) occurs whole, not split at a line end."""
    vocab: Counter[str] = Counter()
    after_break = False
    for line in lines:
        words = re.findall(r"[A-Za-z][A-Za-z-]*[A-Za-z]", line.text)
        if after_break and words:
            words.pop(0)  # "eling" of "mod-" + "eling"
        after_break = is_hyphen_break(line.text)
        if after_break and words:
            words.pop()
        for word in words:
            word = word.lower()
            vocab[word] += 1
            if "-" in word:
                vocab.update(part for part in word.split("-") if part)
    return vocab
