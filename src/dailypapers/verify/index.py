"""Verify, the paper side: a text indexed once for fast, format-tolerant lookups.

Numbers: every number of the text with its precision, sorted, also scaled by a following
suffix or word ("32B", "4 billion"), with its thousands grouping undone ("1,000", "1 000",
LaTeX "1{,}000"); numbers followed by "%" are also kept apart for fraction claims (0.95 vs 95%).
A claim is found if a text number equals it, or is more precise and rounds to it (97.81 supports
97.8; 97.8 never supports 97.81).

Names: the words of the text, lower-cased and glued together with their start and end
positions marked, so a name is found whatever separates its parts ("Qwen 2.5" = "Qwen2.5" =
"qwen-2.5", "hyper-\ngraph" = "hypergraph") but only on word boundaries ("GPT-4" is not inside
"GPT-4o", "LLaDA" not inside "all adapt"). PDF soft hyphens at line ends are joined first.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate, pairwise

from dailypapers.verify.text import SCALE_SUFFIX, SCALE_WORDS, Num, prepare, scaled, to_num, words

__all__ = ["TextIndex", "index_text"]

_TEXT_NUM = re.compile(
    r"(?<![\d.])(\d+(?:[.,]\d+)*)(?:\s?\\?(%)|\s?(billion|million|thousand|trillion|bn)\b|"
    r"([kKMBT])(?![A-Za-z]))?"
)
_SPACES = (" ", "\u00a0", "\u202f", "\u2009")


@dataclass
class TextIndex:
    """A paper text prepared for lookups: its numbers (sorted) and its word stream."""

    numbers: list[Num] = field(default_factory=list)
    percents: list[Num] = field(default_factory=list)
    concat: str = ""  # the lower-cased words, glued together
    starts: bytearray = field(default_factory=bytearray)  # 1 where a word starts
    ends: bytearray = field(default_factory=bytearray)  # 1 where a word ends
    upper: list[int] = field(default_factory=list)  # prefix counts of capital letters

    def has_number(self, num: Num, *, percent_list: bool = False) -> bool:
        """True if the text states ``num`` at its precision or finer."""
        pool = self.percents if percent_list else self.numbers
        half = num.res / 2
        i = bisect_left(pool, num.value - half, key=lambda n: n.value)
        while i < len(pool) and pool[i].value <= num.value + half:
            if pool[i].value == num.value or pool[i].res < num.res:
                return True
            i += 1
        return False

    def has_name(self, claim: str, *, need_capital: bool) -> bool:
        """True if the words of ``claim`` occur on word boundaries (a plural "s" either side)."""
        key = "".join(w.lower() for w in words(prepare(claim)))
        if not key:
            return False
        keys = [key, key[:-1]] if key.endswith("s") and len(key) > 3 else [key]
        for k in keys:
            i = self.concat.find(k)
            while i >= 0:
                end = i + len(k)
                plural = end < len(self.concat) and self.concat[end] == "s" and self.ends[end + 1]
                capital = not need_capital or self.upper[end] > self.upper[i]
                if self.starts[i] and (self.ends[end] or plural) and capital:
                    return True
                i = self.concat.find(k, i + 1)
        return False


def _add_number(index: TextIndex, digits: str, pct: bool, exponent: int | None) -> None:
    readings = []
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
        readings.append(digits.replace(",", ""))
    for chunk in digits.split(","):  # "[3,128]" may be a list as well
        parts = chunk.split(".")
        if len(parts) > 2:  # a version or section number: 2.1.3
            readings += parts
            readings += [f"{a}.{b}" for a, b in pairwise(parts)]
        else:
            readings.append(chunk)
    for reading in dict.fromkeys(readings):
        num = to_num(reading)
        index.numbers.append(num)
        if exponent:
            index.numbers.append(scaled(num, exponent))
        if pct:
            index.percents.append(num)


def _index_words(index: TextIndex, clean: str) -> None:
    tokens = words(clean)
    lowered = [t.lower() if len(t.lower()) == len(t) else t for t in tokens]
    index.concat = "".join(lowered)
    index.starts = bytearray(len(index.concat) + 1)
    index.ends = bytearray(len(index.concat) + 2)
    pos = 0
    for token in lowered:
        index.starts[pos] = 1
        pos += len(token)
        index.ends[pos] = 1
    index.upper = [0, *accumulate(int(c.isupper()) for token in tokens for c in token)]


@lru_cache(maxsize=8)
def index_text(text: str) -> TextIndex:
    """Index a paper text once (cached per text): numbers with their precision, and words."""
    clean = re.sub(r"[\ufffe\u00ad]\s*", "", text)  # PDF line-end hyphenation
    clean = prepare(clean.replace("{,}", ",").replace("\\,", "\u2009"))  # LaTeX 1{,}000
    index = TextIndex()
    previous: re.Match[str] | None = None
    for m in _TEXT_NUM.finditer(clean):
        digits, pct, word, suffix = m.groups()
        exponent = SCALE_WORDS.get(word) if word else SCALE_SUFFIX.get(suffix or "")
        _add_number(index, digits, bool(pct), exponent)
        if (  # "1 000" with a plain or thin space
            previous is not None
            and clean[previous.end(1) : m.start()] in _SPACES
            and re.fullmatch(r"\d{1,3}", previous.group(1))
            and re.fullmatch(r"\d{3}", digits)
        ):
            _add_number(index, previous.group(1) + digits, bool(pct), exponent)
        previous = m
    index.numbers.sort(key=lambda n: n.value)
    index.percents.sort(key=lambda n: n.value)
    _index_words(index, clean)
    return index
