"""Views: turn Digest/PaperResult models into plain, already-safe values for the site's templates.

Everything untrusted that ends up as markup goes through ``sanitize.markdown_to_html`` here and is
wrapped in ``Markup``; every other string stays a plain ``str`` that Jinja2 autoescapes. URLs pass
``sanitize.safe_url``. The templates therefore never see raw HTML from a paper, the API or an LLM.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from markupsafe import Markup

from ..models import Digest, PaperResult
from .sanitize import markdown_to_html, safe_url

__all__ = [
    "DEFAULT_LABELS",
    "DayView",
    "PaperView",
    "ValueView",
    "day_view",
    "humanize",
    "page_relpath",
    "paper_tags",
    "plain_text",
]

#: User-interface strings; ``build_site(labels=...)`` overrides any of them (e.g. translations).
DEFAULT_LABELS: dict[str, str] = {
    "all_dates": "All dates",
    "authors": "Authors",
    "feed": "Atom feed",
    "generated": "Generated",
    "links": "Links",
    "more_authors": "more",
    "next": "Next day",
    "no_llm": "No language model was used: summaries come from Hugging Face metadata.",
    "no_results": "No paper matches.",
    "not_found": "Not found in the text that was read (check before relying on it)",
    "paper": "paper",
    "papers": "papers",
    "previous": "Previous day",
    "published": "Published",
    "read_from": "Read from",
    "result": "result",
    "results": "results",
    "search": "Search titles, tags and summaries",
    "search_unavailable": "Search could not load its index.",
    "skipped": "Skipped",
    "source_abstract": "the abstract only",
    "source_html": "the arXiv HTML full text",
    "source_none": "nothing (no text was read)",
    "source_pdf": "the PDF full text",
    "summary_unavailable": "No summary",
    "tags": "Tags",
    "upvotes": "upvotes",
}

_TAG_FIELDS = ("tags", "keywords", "tag", "keyword")
_LANG_RE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_MAX_AUTHORS = 12


def page_relpath(day: date) -> str:
    """Where the page of ``day`` lives below the site root: ``YYYY/MM/daily_digest_DATE.html``."""
    return f"{day:%Y}/{day:%m}/daily_digest_{day.isoformat()}.html"


def humanize(name: str) -> str:
    """``main_problem`` / ``mainProblem`` / ``main-problem`` → ``Main problem``."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))
    text = " ".join(re.sub(r"[_\-]+", " ", text).split())
    if not text:
        return "?"
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in text.split()]
    words[0] = words[0][:1].upper() + words[0][1:]
    return " ".join(words)


def anchor(paper_id: str) -> str:
    return "p-" + (re.sub(r"[^A-Za-z0-9._-]+", "-", paper_id).strip("-") or "paper")


def lang_code(value: str | None) -> str:
    return value if value and _LANG_RE.match(value) else "en"


def iso_utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ValueView:
    """One summary value: Markdown text, a list of values, or a group of named values."""

    kind: Literal["text", "list", "group"]
    html: Markup = field(default_factory=Markup)
    items: list[ValueView] = field(default_factory=list)
    fields: list[tuple[str, ValueView]] = field(default_factory=list)


@dataclass
class PaperView:
    anchor: str
    title: str
    links: list[tuple[str, str]]
    hf_url: str | None
    thumbnail: str | None
    authors: list[str]
    authors_more: list[str]
    published: str | None
    upvotes: int
    tags: list[str]
    fields: list[tuple[str, ValueView]]
    source: str
    source_url: str | None
    skipped: list[str]
    flags: list[tuple[str, str]]
    error: str | None
    fallback: Markup | None


@dataclass
class DayView:
    date: str
    path: str
    lang: str
    papers: list[PaperView]
    model: str | None
    template: str
    generated: str
    counts: list[tuple[str, int]]
    sources: list[tuple[str, int]]


def _value(value: Any, *, top: bool) -> ValueView | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if isinstance(value, dict):
        children = [(humanize(str(k)), v) for k, v in value.items()]
        fields = [(k, view) for k, v in children if (view := _value(v, top=True)) is not None]
        return ValueView("group", fields=fields) if fields else None
    if isinstance(value, list | tuple):
        items = [view for v in value if (view := _value(v, top=False)) is not None]
        return ValueView("list", items=items) if items else None
    text = str(value)
    inline = not top and "\n\n" not in text
    return ValueView("text", html=Markup(markdown_to_html(text, inline=inline)))


def _tag_list(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r"[,;\n]", value)
    elif isinstance(value, list | tuple):
        parts = [str(v) for v in value if isinstance(v, str | int | float)]
    else:
        return []
    return [p.strip().strip("#").strip() for p in parts if p.strip().strip("#").strip()]


def _tag_field(fields: dict[str, Any]) -> str | None:
    for name in fields:
        if str(name).lower() in _TAG_FIELDS and _tag_list(fields[name]):
            return name
    return None


def paper_tags(result: PaperResult) -> list[str]:
    """The summary's tags/keywords field if it has one, else the paper's HF ``ai_keywords``."""
    fields = result.summary.fields if result.summary else {}
    name = _tag_field(fields)
    tags = _tag_list(fields[name]) if name else _tag_list(result.paper.ai_keywords)
    return list(dict.fromkeys(tags))


def plain_text(result: PaperResult, limit: int = 1500) -> str:
    """The summary (or the HF summary / abstract) as plain text, for the search index."""
    fields = result.summary.fields if result.summary and result.summary.fields else {}
    strings: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif value is not None:
            strings.append(str(value))

    walk(fields or result.paper.ai_summary or result.paper.abstract or "")
    rendered = markdown_to_html("\n\n".join(strings))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", rendered)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _paper(result: PaperResult, labels: dict[str, str]) -> PaperView:
    paper = result.paper
    summary = result.summary
    fields = dict(summary.fields) if summary else {}
    tag_field = _tag_field(fields)
    shown = [
        (humanize(str(name)), view)
        for name, value in fields.items()
        if name != tag_field and (view := _value(value, top=True)) is not None
    ]
    error = (summary.error if summary else None) or result.error
    if summary is None and error is None:
        error = result.outcome
    fallback = None
    if not shown:
        text = paper.ai_summary or paper.abstract
        fallback = Markup(markdown_to_html(text)) if text else None
    candidates = [
        ("Hugging Face", paper.hf_url),
        ("arXiv", paper.arxiv_url),
        ("PDF", paper.pdf_url),
        ("GitHub", paper.github_repo),
        ("Project page", paper.project_page),
    ]
    links = [(name, url) for name, raw in candidates if (url := safe_url(raw))]
    names = [a for a in paper.authors if a.strip()]
    cut = len(names) if len(names) <= _MAX_AUTHORS + 3 else _MAX_AUTHORS
    source = labels.get(f"source_{result.source}", labels["source_none"])
    flags = [(humanize(f.field), f.claim) for f in (summary.unsupported if summary else [])]
    published = paper.published_at.date().isoformat() if paper.published_at else None
    return PaperView(
        anchor=anchor(paper.id),
        title=" ".join(paper.title.split()) or paper.id,
        links=links,
        hf_url=safe_url(paper.hf_url),
        thumbnail=safe_url(paper.thumbnail),
        authors=names[:cut],
        authors_more=names[cut:],
        published=published,
        upvotes=paper.upvotes,
        tags=paper_tags(result),
        fields=shown,
        source=source,
        source_url=safe_url(result.source_url),
        skipped=list(result.skipped),
        flags=flags,
        error=error,
        fallback=fallback,
    )


def day_view(digest: Digest, labels: dict[str, str]) -> DayView:
    outcomes = Counter(item.outcome for item in digest.items)
    sources = Counter(item.source or "none" for item in digest.items)
    return DayView(
        date=digest.date.isoformat(),
        path=page_relpath(digest.date),
        lang=lang_code(digest.language),
        papers=[_paper(item, labels) for item in digest.items],
        model=digest.model,
        template=digest.template,
        generated=iso_utc(digest.generated_at).replace("T", " ").replace("Z", " UTC"),
        counts=sorted(outcomes.items()),
        sources=sorted(sources.items()),
    )
