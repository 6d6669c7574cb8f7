"""Verify, shared part: text normalization and the number patterns both sides use.

Claims and paper texts go through the same ``prepare`` (NFKC, one kind of dash) and ``words``
(ASCII letter/digit runs apart from runs of other scripts), and numbers are read into ``Num``
values that remember their precision, so that "97.8" and "97.81" can be compared fairly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

__all__ = [
    "MANTISSA",
    "MEASURES",
    "SCALE_SUFFIX",
    "SCALE_WORDS",
    "VALUE",
    "VALUE_RE",
    "Num",
    "claim_values",
    "prepare",
    "scaled",
    "to_num",
    "words",
]

_DASHES = dict.fromkeys(
    map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"), "-"
)
#: Scale words and suffixes as powers of ten (English, Vietnamese, Chinese).
SCALE_WORDS = {
    "thousand": 3, "nghìn": 3, "ngàn": 3, "千": 3, "万": 4, "million": 6, "triệu": 6,
    "亿": 8, "billion": 9, "bn": 9, "tỷ": 9, "tỉ": 9, "trillion": 12,
}  # fmt: skip
SCALE_SUFFIX = {"k": 3, "K": 3, "M": 6, "B": 9, "T": 12}
#: Units kept with a number in its claim ("925 FPS"); only scales and % change its value.
MEASURES = (
    "ms|s|sec|min|h|hrs?|hours?|days?|[KMGT]B|FPS|fps|[kMG]?Hz|dB|kW|W|tokens?|params?|"
    "parameters?|g?FID|PSNR|SSIM|LPIPS|BLEU|ROUGE(?:-[L12])?|mAP|pp|points?|pts|steps?|"
    "epochs?|GPUs?|samples?|images?|videos?|frames?|layers?|tham số|điểm|个?百分点|分|名|个|项"
)
#: 1,000 / 1 000 / 29.362 (Vietnamese thousands) / 97.81 / 97,81 (decimal comma).
MANTISSA = (
    r"\d{1,3}(?:[,\u00a0\u202f\u2009 ]\d{3})+(?:\.\d+)?(?!\d)"
    r"|\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?(?!\d)|\d+(?:[.,]\d+)?"
)
_SCALE_RE = "|".join(sorted(SCALE_WORDS, key=len, reverse=True))
_RATIO = r"\s?%|x(?![A-Za-z])|\s?×|\s?倍"
#: One value: sign, mantissa, scale, ratio ("+2.69%", "4B", "1.5×", "81 triệu").
VALUE = rf"[+±-]?(?:{MANTISSA})(?:\s?(?:{_SCALE_RE})|[kKMBT](?![A-Za-z]))?(?:{_RATIO})?"
VALUE_RE = re.compile(VALUE)
_TOKEN = re.compile(r"[A-Za-z0-9]+|[^\W_A-Za-z0-9]+")


def prepare(text: str) -> str:
    """NFKC (ligatures, full-width digits) with every dash and minus turned into ``-``."""
    return unicodedata.normalize("NFKC", text).translate(_DASHES)


def words(text: str) -> list[str]:
    """Runs of ASCII letters/digits and runs of other letters; "256x256" is two numbers."""
    return _TOKEN.findall(re.sub(r"(?<=\d)x(?=\d)", " ", text))


@dataclass(frozen=True, slots=True)
class Num:
    """A number and the smallest step its writer could express (0.01 for "97.81")."""

    value: Decimal
    res: Decimal


def to_num(digits: str) -> Num:
    """``Num`` of plain digits with at most one decimal point."""
    value = Decimal(digits)
    exponent = value.as_tuple().exponent
    return Num(abs(value), Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0))


def scaled(num: Num, exponent: int | None) -> Num:
    """``num`` times ten to ``exponent`` (its resolution too)."""
    if not exponent:
        return num
    return Num(num.value.scaleb(exponent), num.res.scaleb(exponent))


def claim_values(raw: str) -> tuple[list[Num], int | None, bool]:
    """The readings of one claimed value, its scale exponent and whether it is a percent.

    "29,362" and "29.362" may each be a thousands grouping or a decimal: both readings are kept.
    """
    m = re.match(rf"[+±-]?({MANTISSA})", raw)
    if m is None:
        return [], None, False
    mant = re.sub(r"[\u00a0\u202f\u2009 ]", "", m.group(1))
    rest = raw[m.end() :].strip()
    scale = next((e for w, e in SCALE_WORDS.items() if rest.startswith(w)), None)
    if scale is None and rest[:1] in SCALE_SUFFIX:
        scale = SCALE_SUFFIX[rest[:1]]
    readings = []
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", mant):
        readings.append(mant.replace(",", ""))  # 29,362
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", mant):
        readings.append(mant.replace(".", "").replace(",", "."))  # Vietnamese 29.362, 1.000,5
    if mant.count(",") == 1 and "." not in mant:
        readings.append(mant.replace(",", "."))  # a decimal comma: 97,81
    if "," not in mant and mant.count(".") <= 1:
        readings.append(mant)
    return [to_num(r) for r in dict.fromkeys(readings)], scale, "%" in rest
