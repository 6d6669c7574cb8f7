"""The daily list: Hugging Face Daily Papers answers parsed into ``Paper`` objects, then chosen.

This module owns the first stage of the pipeline:

- :func:`parse_daily` turns the JSON of ``GET {hf_endpoint}/api/daily_papers`` into papers, in the
  order the API gave them. Every shape seen in the wild parses: the 2024 schema (``mediaUrl``,
  titles wrapped with newlines, no ``submittedOnDailyAt``), days without ``ai_summary`` /
  ``ai_keywords``, partial-day lists, and bare paper objects (``/api/papers/{id}``). Unknown fields
  are ignored and missing ones become ``None``; a malformed answer (not JSON, not a list, an entry
  without an id) raises one one-line :class:`~dailypapers.errors.SourceError` naming the URL.
  An empty list is a normal answer (weekends, holidays) and gives ``[]``.
- :func:`fetch_daily` downloads the list of a day, an ISO week (``YYYY-Www``) or a month
  (``YYYY-MM``) through the polite :class:`~dailypapers.net.Fetcher`, page by page.
- :func:`select_papers` sorts and filters a list (``--sort``, ``--limit``, ``--min-upvotes``,
  ``--keyword``, ``--exclude-keyword``).

Field decisions (HF fields are untrusted data):

- ``authors`` holds every author name in the paper's order, exactly as HF gives it (non-ASCII and
  stray backslashes kept, no trimming). Authors marked ``hidden: true`` on HF (hidden from the
  paper page's claimed-author list, not removed from the paper) stay in ``authors`` at their place
  and are *also* listed in ``hidden_authors``, so a renderer can show or skip them.
- ``title`` has its whitespace collapsed (the 2024 schema wraps titles with ``"\\n  "``); the
  abstract is unwrapped the same way within paragraphs, paragraph breaks are kept.
- ``submitted_at`` is ``paper.submittedOnDailyAt``; the 2024 schema lacks it, and there the entry's
  own ``publishedAt`` is when the paper was put on the daily list, so that is used instead.
- ``daily_date`` is the requested date for ``day=``; for a week, a month or the latest list it is
  the date part of ``submittedOnDailyAt`` (``None`` when the entry does not say).
- ``github_repo``, ``project_page`` and ``thumbnail`` are kept only when they are http(s) URLs.
- ``organization`` is the organization's display name (``fullname``, else ``name``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from .errors import HTTPError, SourceError, UsageError
from .models import Paper
from .net import Fetcher

__all__ = ["SORTS", "fetch_daily", "parse_daily", "select_papers"]

#: Accepted values of ``select_papers(sort=...)``.
SORTS = ("api", "upvotes", "published")

#: Papers per page asked of the API, and the most pages read for one week or month.
PAGE_SIZE = 100
MAX_PAGES = 30

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


# -- parsing ----------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _fail(url: str, what: str) -> SourceError:
    return SourceError(_one_line(f"malformed daily list from {url}: {what}", 500))


def _str(value: Any) -> str | None:
    """A non-empty stripped string, else None."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _url(value: Any) -> str | None:
    text = _str(value)
    if text and re.match(r"^https?://\S+$", text, re.IGNORECASE):
        return text
    return None


def _datetime(value: Any) -> datetime | None:
    text = _str(value)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _normalize_title(value: str) -> str:
    return " ".join(value.split())


def _normalize_abstract(value: str) -> str:
    paragraphs = re.split(r"\n\s*\n", value.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _authors(raw: Any) -> tuple[list[str], list[str]]:
    authors: list[str] = []
    hidden: list[str] = []
    if not isinstance(raw, list):
        return authors, hidden
    for item in raw:
        if isinstance(item, str):
            name, is_hidden = item, False
        elif isinstance(item, dict) and isinstance(item.get("name"), str):
            name, is_hidden = item["name"], item.get("hidden") is True
        else:
            continue
        if not name.strip():
            continue
        authors.append(name)
        if is_hidden:
            hidden.append(name)
    return authors, hidden


def _keywords(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        return []
    return [k.strip() for k in raw if isinstance(k, str) and k.strip()]


def _organization(*candidates: Any) -> str | None:
    for org in candidates:
        if isinstance(org, dict):
            name = _str(org.get("fullname")) or _str(org.get("name"))
            if name:
                return name
        elif _str(org):
            return _str(org)
    return None


def _paper(entry: dict[str, Any], index: int, url: str, daily_date: date | None) -> Paper:
    inner = entry.get("paper")
    paper: dict[str, Any] = inner if isinstance(inner, dict) else entry
    paper_id = _str(paper.get("id"))
    if paper_id is None:
        raise _fail(url, f"entry {index} has no paper id")
    title = _str(paper.get("title")) or _str(entry.get("title")) or ""
    abstract = _str(paper.get("summary")) or _str(entry.get("summary"))
    authors, hidden = _authors(paper.get("authors"))
    submitted = _datetime(paper.get("submittedOnDailyAt"))
    if submitted is None and "submittedOnDailyAt" not in paper and inner is not None:
        submitted = _datetime(entry.get("publishedAt"))  # 2024 schema: time put on the list
    if daily_date is None and paper.get("submittedOnDailyAt") is not None and submitted:
        day: date | None = submitted.astimezone(UTC).date()
    else:
        day = daily_date
    ai_summary = _str(paper.get("ai_summary"))
    return Paper(
        id=paper_id,
        title=_normalize_title(title),
        authors=authors,
        hidden_authors=hidden,
        abstract=_normalize_abstract(abstract) if abstract else None,
        published_at=_datetime(paper.get("publishedAt")),
        submitted_at=submitted,
        daily_date=day,
        upvotes=max(0, _int(paper.get("upvotes")) or 0),
        num_comments=_int(entry.get("numComments")),
        ai_summary=ai_summary,
        ai_keywords=_keywords(paper.get("ai_keywords")),
        github_repo=_url(paper.get("githubRepo")),
        github_stars=_int(paper.get("githubStars")),
        project_page=_url(paper.get("projectPage")),
        thumbnail=_url(entry.get("thumbnail")) or _url(entry.get("mediaUrl")),
        organization=_organization(paper.get("organization"), entry.get("organization")),
    )


def parse_daily(data: bytes | str, *, url: str, daily_date: date | None = None) -> list[Paper]:
    """Papers of one answer of ``/api/daily_papers``, in the API's order (duplicates dropped).

    ``daily_date`` is the date that was asked for; without it each paper's date comes from its
    ``submittedOnDailyAt``. Raises :class:`SourceError` naming ``url`` when the answer is not
    JSON, not a list, or has an entry that is not an object or has no paper id.
    """
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise _fail(url, f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise _fail(url, f"not JSON ({type(exc).__name__})") from None
    if not isinstance(value, list):
        raise _fail(url, f"expected a JSON list of papers, got {type(value).__name__}")
    papers: list[Paper] = []
    seen: set[str] = set()
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise _fail(url, f"entry {index} is {type(entry).__name__}, not an object")
        paper = _paper(entry, index, url, daily_date)
        if paper.id not in seen:
            seen.add(paper.id)
            papers.append(paper)
    return papers


# -- fetching ---------------------------------------------------------------------------------


def _check_period(week: str | None, month: str | None) -> None:
    if week is not None:
        match = _WEEK_RE.match(week)
        if not match or not 1 <= int(match.group(2)) <= 53:
            raise UsageError(f"invalid week {week!r}: expected YYYY-Www, e.g. 2026-W02")
        try:
            date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            raise UsageError(f"invalid week {week!r}: that year has no such week") from None
    if month is not None:
        match = _MONTH_RE.match(month)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise UsageError(f"invalid month {month!r}: expected YYYY-MM, e.g. 2026-01")


async def fetch_daily(
    fetcher: Fetcher,
    hf_endpoint: str,
    *,
    day: date | None = None,
    week: str | None = None,
    month: str | None = None,
) -> list[Paper]:
    """The Daily Papers list of ``day``, ``week`` (``YYYY-Www``) or ``month`` (``YYYY-MM``).

    At most one of them may be given; with none, the API's latest list is read. Pages of
    ``PAGE_SIZE`` are read until one comes back short (or adds nothing new); the list is never
    read from the download cache, since it grows during its day. Raises
    :class:`UsageError` for a bad period and :class:`SourceError` (naming the URL) when the list is
    unreachable or malformed; an empty list is returned as ``[]``.
    """
    if sum(x is not None for x in (day, week, month)) > 1:
        raise UsageError("give only one of a date, a week or a month")
    _check_period(week, month)
    params: dict[str, str] = {}
    if day is not None:
        params["date"] = day.isoformat()
    elif week is not None:
        params["week"] = week
    elif month is not None:
        params["month"] = month
    base = f"{hf_endpoint.rstrip('/')}/api/daily_papers"
    papers: list[Paper] = []
    seen: set[str] = set()
    for page in range(MAX_PAGES):
        query = {**params, "limit": str(PAGE_SIZE)}
        if page:
            query["p"] = str(page)
        url = f"{base}?" + "&".join(f"{k}={v}" for k, v in query.items())
        try:
            body = await fetcher.get(url, cache=False)
        except HTTPError as exc:
            raise SourceError(_one_line(f"cannot read the daily list: {exc}", 500)) from exc
        batch = parse_daily(body, url=url, daily_date=day)
        new = [p for p in batch if p.id not in seen]
        seen.update(p.id for p in new)
        papers.extend(new)
        if len(batch) < PAGE_SIZE or not new:
            break
    return papers


# -- choosing ---------------------------------------------------------------------------------


def _matcher(words: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern matching any of ``words`` where a word starts (``agent`` finds ``agents``)."""
    cleaned = [w.strip() for w in words if w and w.strip()]
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(w) for w in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternatives})", re.IGNORECASE)


def _haystack(paper: Paper) -> str:
    return "\n".join([paper.title, paper.abstract or "", "\n".join(paper.ai_keywords)])


def select_papers(
    papers: Sequence[Paper],
    *,
    sort: str = "api",
    limit: int | None = None,
    min_upvotes: int = 0,
    keywords: Iterable[str] = (),
    exclude_keywords: Iterable[str] = (),
) -> list[Paper]:
    """The papers to summarize: filtered, sorted, then cut to ``limit``.

    ``sort``: ``api`` keeps the API's order, ``upvotes`` puts the most voted first, ``published``
    the most recently published first (ties keep the API's order). ``keywords`` keeps papers whose
    title, abstract or HF keywords contain any of them (case-insensitive, matched where a word
    starts, so ``agent`` finds "agents" and ``RL`` does not find "world"); ``exclude_keywords``
    drops papers that contain any of theirs. Raises :class:`UsageError` for a bad sort or limit.
    """
    if sort not in SORTS:
        raise UsageError(f"unknown sort {sort!r}: use one of {', '.join(SORTS)}")
    if limit is not None and limit < 0:
        raise UsageError(f"limit must be 0 or more, not {limit}")
    wanted = _matcher(keywords)
    unwanted = _matcher(exclude_keywords)
    chosen = [
        p
        for p in papers
        if p.upvotes >= min_upvotes
        and (wanted is None or wanted.search(_haystack(p)))
        and (unwanted is None or not unwanted.search(_haystack(p)))
    ]
    if sort == "upvotes":
        chosen.sort(key=lambda p: -p.upvotes)
    elif sort == "published":
        oldest = datetime.min.replace(tzinfo=UTC)
        chosen.sort(key=lambda p: p.published_at or oldest, reverse=True)
    return chosen if limit is None else chosen[:limit]
