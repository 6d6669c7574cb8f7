"""The static site: one page per date, an index of all dates, an Atom feed and a search index.

``build_site`` writes, below ``out_dir``::

    index.html                          every date, newest first, with its paper count
    YYYY/MM/daily_digest_YYYY-MM-DD.html one page per date (the same path as the html report)
    feed.xml                            Atom feed, one entry per date
    search.json, search-index.js        the search index (JSON; the .js copy serves file:// pages)
    static/                             style.css, search.js (plain JavaScript: no build, no CDN),
                                        favicon.svg

Pages come from Jinja2 templates in ``site_templates/`` with autoescaping on; Markdown from an LLM
is rendered and cleaned by nh3 in ``views``/``sanitize``. Pages carry a Content-Security-Policy
that only allows the site's own script, as a second wall behind the sanitizer.
"""

from __future__ import annotations

import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..models import Digest
from .files import write_atomic
from .views import (
    DEFAULT_LABELS,
    DayView,
    day_view,
    iso_utc,
    lang_code,
    page_relpath,
    paper_tags,
    plain_text,
)

__all__ = ["build_site", "page_relpath", "render_day_page"]

SEARCH_SCHEMA = "dailypapers.search/1"
ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_INVALID = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STATIC = ("favicon.svg", "search.js", "style.css")


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dailypapers.publish", "site_templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


def _latest(digests: list[Digest]) -> list[Digest]:
    """One digest per date (the most recently generated), newest date first."""
    by_day: dict[date, Digest] = {}
    for digest in digests:
        kept = by_day.get(digest.date)
        if kept is None or _stamp(digest) >= _stamp(kept):
            by_day[digest.date] = digest
    return [by_day[day] for day in sorted(by_day, reverse=True)]


def _stamp(digest: Digest) -> str:
    return iso_utc(digest.generated_at)


def _labels(overrides: dict[str, str] | None) -> dict[str, str]:
    labels = dict(DEFAULT_LABELS)
    labels.update({k: str(v) for k, v in (overrides or {}).items()})
    return labels


def render_day_page(
    digest: Digest,
    *,
    title: str = "Daily Papers",
    labels: dict[str, str] | None = None,
    prev_day: date | None = None,
    next_day: date | None = None,
) -> str:
    """The HTML page of one digest, as it sits at ``page_relpath(digest.date)`` in a site."""
    merged = _labels(labels)
    view = day_view(digest, merged)
    return (
        _environment()
        .get_template("day.html")
        .render(
            site_title=title,
            labels=merged,
            root="../../",
            lang=view.lang,
            day=view,
            prev_path=f"../../{page_relpath(prev_day)}" if prev_day else None,
            next_path=f"../../{page_relpath(next_day)}" if next_day else None,
            llm_used=digest.llm_used,
        )
    )


def build_site(
    digests: list[Digest],
    out_dir: Path,
    *,
    title: str = "Daily Papers",
    base_url: str | None = None,
    labels: dict[str, str] | None = None,
    feed_limit: int = 60,
) -> Path:
    """Write the static site of ``digests`` into ``out_dir``; returns the path of ``index.html``.

    ``base_url`` (the site's public URL) makes the feed's links absolute; without it they are
    relative to the feed. Several digests of one date: the most recently generated is used.
    Raises :class:`~dailypapers.errors.DailyPapersError` when a file cannot be written.
    """
    out = Path(out_dir)
    days = _latest(list(digests))
    merged = _labels(labels)
    env = _environment()
    root_url = base_url.rstrip("/") + "/" if base_url else ""

    for position, digest in enumerate(days):
        newer = days[position - 1].date if position > 0 else None
        older = days[position + 1].date if position + 1 < len(days) else None
        page = render_day_page(digest, title=title, labels=merged, prev_day=older, next_day=newer)
        write_atomic(out / page_relpath(digest.date), page)

    months: dict[str, list[dict[str, Any]]] = {}
    for digest in days:
        months.setdefault(f"{digest.date:%Y-%m}", []).append(
            {
                "date": digest.date.isoformat(),
                "path": page_relpath(digest.date),
                "count": len(digest.items),
                "failed": sum(1 for item in digest.items if item.outcome == "failed"),
            }
        )
    index_lang = lang_code(days[0].language) if days and labels else "en"
    index_html = env.get_template("index.html").render(
        site_title=title, labels=merged, root="", lang=index_lang, months=list(months.items())
    )
    index_path = write_atomic(out / "index.html", index_html)

    search = _search_index(days)
    write_atomic(out / "search.json", search)
    write_atomic(out / "search-index.js", f"window.DAILYPAPERS_SEARCH = {search.strip()};\n")
    write_atomic(out / "feed.xml", _feed(days[:feed_limit], title, root_url, merged, env))

    static = resources.files("dailypapers.publish") / "static"
    for name in _STATIC:
        write_atomic(out / "static" / name, (static / name).read_bytes())
    return index_path


def _safe_json(value: Any) -> str:
    """JSON with ``<``, ``>``, ``&`` and line separators escaped: inert even if sniffed as HTML."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text + "\n"


def _search_index(days: list[Digest]) -> str:
    papers: list[dict[str, Any]] = []
    for digest in days:
        path = page_relpath(digest.date)
        for view, item in zip(day_view(digest, DEFAULT_LABELS).papers, digest.items, strict=True):
            tags = list(dict.fromkeys(paper_tags(item) + list(item.paper.ai_keywords)))
            papers.append(
                {
                    "id": item.paper.id,
                    "title": view.title,
                    "date": digest.date.isoformat(),
                    "url": f"{path}#{view.anchor}",
                    "tags": tags,
                    "text": plain_text(item),
                }
            )
    return _safe_json({"schema": SEARCH_SCHEMA, "papers": papers})


def _xml(text: str) -> str:
    return _XML_INVALID.sub("", text)


def _feed(
    days: list[Digest], title: str, root_url: str, labels: dict[str, str], env: Environment
) -> bytes:
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(
            parent, f"{{{ATOM_NS}}}{tag}", {k: _xml(v) for k, v in attrs.items()}
        )
        if text is not None:
            element.text = _xml(text)
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    site_key = root_url or f"dailypapers:{title}"
    sub(feed, "id", uuid.uuid5(uuid.NAMESPACE_URL, site_key).urn)
    sub(feed, "title", title)
    updated = max((iso_utc(d.generated_at) for d in days), default="1970-01-01T00:00:00Z")
    sub(feed, "updated", updated)
    author = sub(feed, "author")
    sub(author, "name", "dailypapers")
    sub(feed, "generator", "dailypapers")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{root_url}index.html")
    if root_url:
        sub(feed, "link", rel="self", type="application/atom+xml", href=f"{root_url}feed.xml")
    template = env.get_template("feed_entry.html")
    for digest in days:
        view: DayView = day_view(digest, labels)
        href = f"{root_url}{view.path}"
        count = len(view.papers)
        noun = labels["paper"] if count == 1 else labels["papers"]
        entry = sub(feed, "entry")
        sub(entry, "id", uuid.uuid5(uuid.NAMESPACE_URL, f"{site_key}/{view.path}").urn)
        sub(entry, "title", f"{title} — {view.date} ({count} {noun})")
        sub(entry, "updated", iso_utc(digest.generated_at))
        sub(entry, "link", rel="alternate", type="text/html", href=href)
        sub(entry, "summary", "; ".join(p.title for p in view.papers) or "-", type="text")
        body = template.render(day=view, page=href, labels=labels)
        sub(entry, "content", body, type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
