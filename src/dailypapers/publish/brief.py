"""Short versions of a digest for chat and webhooks: one line per paper, fitted to each API's limit.

Every channel of :mod:`dailypapers.publish.notify` except e-mail sends a brief, not the whole
digest: a title line, one line per paper (title linked to its Hugging Face page, and a one-line
summary taken from the template's fields, the HF summary or the abstract) and a link to the full
digest. Paper titles and summaries are untrusted text: each format escapes them for its own markup
(Slack mrkdwn, Discord Markdown, Telegram HTML), and lengths are counted in UTF-16 code units (the
strictest of the APIs' ways of counting), dropping papers with an "and N more" line when the
brief would not fit.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ..models import Digest, PaperResult
from .sanitize import safe_url

__all__ = [
    "WEBHOOK_SCHEMA",
    "PaperLine",
    "digest_title",
    "markdown_brief",
    "one_liner",
    "paper_count",
    "paper_lines",
    "slack_text",
    "telegram_html",
    "utf16_len",
    "webhook_payload",
]

WEBHOOK_SCHEMA = "dailypapers.notify/1"

#: Template fields that usually hold a one-sentence summary, best first.
_ONE_LINER_FIELDS = (
    "tldr",
    "one_liner",
    "paper_count",
    "one_sentence",
    "summary",
    "contribution",
    "main_idea",
    "idea",
    "main_problem",
    "problem",
)
_SKIP_FIELDS = {"tags", "tag", "keywords", "keyword", "links", "link"}
_MAX_ONE_LINER = 200
_MAX_TITLE = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|`+|^#+\s*|^>\s*|^[-*+]\s+)", re.MULTILINE)
_UNSAFE_IN_LINK = re.compile(r'[<>|"`\\^{}]')
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|[。！？]")


@dataclass(frozen=True)
class PaperLine:
    """One paper in a brief: plain-text title and summary, and its Hugging Face URL."""

    id: str
    title: str
    url: str
    summary: str


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (how Telegram counts; never less than ``len``)."""
    return len(text.encode("utf-16-le")) // 2


def digest_title(digest: Digest) -> str:
    return f"Daily Papers {digest.date.isoformat()}"


def _plain(text: str) -> str:
    """Markdown-ish text as one plain line: links to their labels, marks and controls removed."""
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_MARKS.sub("", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _first_sentence(text: str) -> str:
    match = _SENTENCE_END.search(text, 12)
    return text[: match.end()] if match else text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return [] if value is None else [str(value)]


def one_liner(result: PaperResult) -> str:
    """A one-line summary: a summary-like template field, else HF's summary, else the abstract."""
    fields = result.summary.fields if result.summary and result.summary.ok else {}
    candidates = [fields[name] for name in _ONE_LINER_FIELDS if name in fields]
    candidates += [v for k, v in fields.items() if k not in _SKIP_FIELDS]
    candidates += [result.paper.ai_summary, result.paper.abstract]
    for candidate in candidates:
        text = _plain(" ".join(_strings(candidate)))
        if text:
            return _cut(_first_sentence(text), _MAX_ONE_LINER)
    return ""


def paper_lines(digest: Digest) -> list[PaperLine]:
    lines = []
    for item in digest.items:
        paper = item.paper
        url = f"https://huggingface.co/papers/{quote(paper.id, safe='./')}"
        title = _cut(_plain(paper.title), _MAX_TITLE) or paper.id
        lines.append(PaperLine(paper.id, title, url, one_liner(item)))
    return lines


def paper_count(digest: Digest) -> str:
    n = len(digest.items)
    return f"{n} paper" if n == 1 else f"{n} papers"


def _fit(header: str, lines: list[str], footer: str, limit: int, more: Callable[[int], str]) -> str:
    """Header, as many lines as fit (with an "N more" line for the rest) and footer, ≤ limit."""
    for keep in range(len(lines), -1, -1):
        parts = [header, *lines[:keep]]
        if keep < len(lines):
            parts.append(more(len(lines) - keep))
        if footer:
            parts.append(footer)
        text = "\n".join(parts)
        if utf16_len(text) <= limit:
            return text
    text = header
    while utf16_len(text) > limit:
        text = text[:-1]
    return text


def _link(link: str | None) -> str | None:
    """An http(s) link, with the characters that would break a chat markup percent-encoded."""
    url = safe_url(link) if link else None
    return _UNSAFE_IN_LINK.sub(lambda m: quote(m.group()), url) if url else None


# --- Slack (mrkdwn) -----------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(digest: Digest, link: str | None, limit: int = 3900) -> str:
    """Slack mrkdwn: bold title, ``• <url|title> — summary`` lines, a link to the digest."""
    header = f"*{digest_title(digest)}* — {paper_count(digest)}"
    lines = []
    for p in paper_lines(digest):
        label = _slack_escape(p.title).replace("|", "¦")
        line = f"• <{p.url}|{label}>"
        lines.append(f"{line} — {_slack_escape(p.summary)}" if p.summary else line)
    target = _link(link)
    footer = f"<{target}|Read the full digest>" if target else ""
    return _fit(header, lines, footer, limit, lambda n: f"_…and {n} more_")


# --- Markdown (Discord, apprise) ----------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_~|<>\[\]@])")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_brief(
    digest: Digest, link: str | None, limit: int = 2000, *, hide_embeds: bool = True
) -> str:
    """Markdown brief; ``hide_embeds`` wraps URLs in ``<…>`` (Discord shows no link previews)."""

    def href(url: str) -> str:
        return f"<{url}>" if hide_embeds else url

    header = f"**{_md_escape(digest_title(digest))}** — {paper_count(digest)}"
    lines = []
    for p in paper_lines(digest):
        line = f"- [{_md_escape(p.title)}]({href(p.url)})"
        lines.append(f"{line} — {_md_escape(p.summary)}" if p.summary else line)
    target = _link(link)
    footer = f"[Read the full digest]({href(target)})" if target else ""
    return _fit(header, lines, footer, limit, lambda n: f"*…and {n} more*")


# --- Telegram (HTML parse mode) -----------------------------------------------------------------


def telegram_html(digest: Digest, link: str | None, limit: int = 4096) -> str:
    """Telegram HTML: only ``<b>`` and ``<a href>``; every text escaped."""
    header = f"<b>{html.escape(digest_title(digest))}</b> — {paper_count(digest)}"
    lines = []
    for p in paper_lines(digest):
        line = f'• <a href="{html.escape(p.url)}">{html.escape(p.title)}</a>'
        lines.append(f"{line} — {html.escape(p.summary)}" if p.summary else line)
    target = _link(link)
    footer = f'<a href="{html.escape(target)}">Read the full digest</a>' if target else ""
    return _fit(header, lines, footer, limit, lambda n: f"<i>…and {n} more</i>")


# --- Generic JSON webhook -----------------------------------------------------------------------


def webhook_payload(digest: Digest, link: str | None) -> dict[str, Any]:
    """The generic webhook body (schema ``dailypapers.notify/1``): every paper, one line each."""
    return {
        "schema": WEBHOOK_SCHEMA,
        "date": digest.date.isoformat(),
        "title": digest_title(digest),
        "language": digest.language,
        "papers": [
            {"id": p.id, "title": p.title, "url": p.url, "summary": p.summary}
            for p in paper_lines(digest)
        ],
        "link": _link(link),
    }
