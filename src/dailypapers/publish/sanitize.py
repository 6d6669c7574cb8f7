"""Safe HTML from untrusted text: Markdown rendering, math kept as text, nh3 sanitizing, URL checks.

Every string that came from a paper, the Hugging Face API or an LLM and is shown as HTML passes
through :func:`markdown_to_html` (Markdown; raw HTML in it is shown as text, never as markup, and
the result is cleaned by nh3 with a small allowlist) or is escaped by Jinja2. URLs that become an
``href`` or ``src`` pass :func:`safe_url` (http and https only). Math (``$…$``, ``$$…$$``) is
kept: it becomes ``<span class="math">`` with common LaTeX commands shown as Unicode, so a page
reads well with no JavaScript and no CDN.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_inline import StateInline

__all__ = ["latex_to_text", "markdown_to_html", "safe_url"]

#: Tags the rendered Markdown may keep; everything else is stripped (script/style with content).
ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "li", "ol",
    "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"title"}, "ol": {"start"}}
ALLOWED_CLASSES = {"span": {"math", "display"}}
URL_SCHEMES = {"http", "https", "mailto"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ",
    "Lambda": "Λ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤", "geq": "≥",
    "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡",
    "propto": "∝", "infty": "∞", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "leftrightarrow": "↔", "mapsto": "↦", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃",
    "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "sqrt": "√",
    "ell": "ℓ", "log": "log", "exp": "exp", "max": "max", "min": "min", "ldots": "…",
    "cdots": "⋯", "dots": "…", "%": "%", "$": "$", "{": "{", "}": "}", "_": "_", "&": "&",
    "#": "#", ",": " ", ";": " ", "quad": " ", "qquad": "  ", "!": "", " ": " ",
}  # fmt: skip
_SUPER = str.maketrans("0123456789+-=()nik", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵏ")
_SUB = str.maketrans("0123456789+-=()ikjnt", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ᵢₖⱼₙₜ")
_WRAPPERS = re.compile(
    r"\\(?:mathrm|mathbf|mathit|mathcal|mathbb|mathsf|mathtt|text|textbf|textit|operatorname"
    r"|boldsymbol|bm|emph)\s*\{([^{}]*)\}"
)
_COMMAND = re.compile(r"\\([A-Za-z]+|[%${}_&#,;! ])")
_SCRIPT = re.compile(r"([\^_])(\{([^{}]*)\}|[0-9A-Za-z+\-])")


def latex_to_text(latex: str) -> str:
    """A readable plain-text rendering of simple LaTeX math (``\\alpha^2`` → ``α²``)."""
    text = latex
    for _ in range(3):
        text = _WRAPPERS.sub(r"\1", text)
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = re.sub(r"\\(?:left|right|big|Big|bigg|Bigg)\b\s*", "", text)

    def command(match: re.Match[str]) -> str:
        name = match.group(1)
        return _SYMBOLS.get(name, match.group(0))

    text = _COMMAND.sub(command, text)

    def script(match: re.Match[str]) -> str:
        body = match.group(3) if match.group(3) is not None else match.group(2)
        table = _SUPER if match.group(1) == "^" else _SUB
        converted = body.translate(table)
        if all(ord(c) > 127 for c in converted if not c.isspace()):
            return converted
        return match.group(0)

    text = _SCRIPT.sub(script, text)
    return " ".join(text.split())


def _math_rule(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``$…$`` (pandoc-style: no space inside the delimiters) and ``$$…$$``."""
    src, start, end = state.src, state.pos, state.posMax
    if src[start] != "$":
        return False
    delim = "$$" if src.startswith("$$", start) else "$"
    body_start = start + len(delim)
    if body_start >= end or (delim == "$" and src[body_start].isspace()):
        return False
    close = body_start
    while True:
        close = src.find(delim, close)
        if close == -1 or close + len(delim) > end:
            return False
        if src[close - 1] == "\\":
            close += 1
            continue
        break
    body = src[body_start:close]
    if not body.strip():
        return False
    if delim == "$":
        after = close + 1
        if body[-1].isspace() or (after < end and src[after].isdigit()):
            return False
    if not silent:
        token = state.push("math_display" if delim == "$$" else "math_inline", "span", 0)
        token.content = body.strip()
        token.markup = delim
    state.pos = close + len(delim)
    return True


def _render_math(self: Any, tokens: Sequence[Any], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    css = "math display" if token.type == "math_display" else "math"
    source = escapeHtml(token.content)
    return f'<span class="{css}" title="{source}">{escapeHtml(latex_to_text(token.content))}</span>'


def _link_allowed(url: str) -> bool:
    """Only absolute http(s) and mailto links become links; the rest stays text."""
    return re.match(r"(?:https?://|mailto:)", url.strip(), re.IGNORECASE) is not None


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable(["image"])
    md.validateLink = _link_allowed  # type: ignore[method-assign]
    md.inline.ruler.before("escape", "math", _math_rule)
    md.add_render_rule("math_inline", _render_math)
    md.add_render_rule("math_display", _render_math)
    return md


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def markdown_to_html(text: str, *, inline: bool = False) -> str:
    """Render untrusted Markdown to sanitized HTML (``inline``: no ``<p>`` around it).

    Raw HTML in ``text`` is escaped (shown as text), images are not loaded, links keep only
    http/https/mailto targets, headings start at ``<h3>`` so they sit under a paper's title.
    """
    md = _parser()
    html = md.renderInline(text) if inline else md.render(text)
    html = re.sub(r"<(/?)h[12]>", r"<\1h3>", html)
    return _cleaner().clean(html)


def safe_url(value: object) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host, else None (never ``javascript:``)."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or _CONTROL.search(url) or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return url
