"""Wiki.js 2.x: one page per digest and a monthly index page, through the GraphQL API.

``--publish wikijs://wiki.example.org/daily-papers`` (https; ``wikijs+http://`` for plain http,
e.g. a wiki on loopback; optional ``?locale=de``, default ``en``) writes, for the digest of
2026-01-08::

    daily-papers/2026/01/2026-01-08   the digest's Markdown (editor "markdown", published)
    daily-papers/2026/01              the month's index: a link to every day page, newest first

The API key (Wiki.js: Administration → API Access) comes from ``DAILYPAPERS_WIKIJS_TOKEN`` and
is sent as ``Authorization: Bearer``; it needs write and manage rights on the prefix. Every call
is ``POST {base}/graphql``: ``pages.singleByPath(path, locale)`` finds a page (Wiki.js 2.5+),
``pages.create(...)`` or ``pages.update(id, ...)`` writes it, and ``responseResult.succeeded``
is checked. Publishing is idempotent: an existing page is updated (or left alone when nothing
changed), never created twice, and the index is rebuilt from the set of day links already on it
plus the new one, de-duplicated by date and sorted, so a restart never duplicates a link.
Failures raise :class:`~dailypapers.errors.PublishError`, whose message never holds the token.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2

from ..errors import PublishError, UsageError
from ..models import Digest

__all__ = [
    "WikiPublishResult",
    "WikiTarget",
    "is_wikijs_url",
    "parse_wikijs_url",
    "publish_wikijs",
]

log = logging.getLogger("dailypapers.wikijs")

TOKEN_ENV = "DAILYPAPERS_WIKIJS_TOKEN"
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LOCALE = re.compile(r"^[a-z]{2}(?:-[a-z]{2,4})?$")
_NOT_FOUND = 6003
_DUPLICATE = 6002
_INDEX_LINE = re.compile(r"^- \[(\d{4}-\d{2}-\d{2})\]\([^)\s]*\)(?: — (.*))?$")
_INDEX_MARK = "<!-- dailypapers:index (rebuilt on every publish; edits here are replaced) -->"

FIND_PAGE = """
query DailyPapersFindPage($path: String!, $locale: String!) {
  pages {
    singleByPath(path: $path, locale: $locale) {
      id
      path
      title
      description
      content
    }
  }
}
"""

CREATE_PAGE = """
mutation DailyPapersCreatePage($content: String!, $description: String!, $editor: String!,
    $isPublished: Boolean!, $isPrivate: Boolean!, $locale: String!, $path: String!,
    $tags: [String]!, $title: String!) {
  pages {
    create(content: $content, description: $description, editor: $editor,
        isPublished: $isPublished, isPrivate: $isPrivate, locale: $locale, path: $path,
        tags: $tags, title: $title) {
      responseResult { succeeded errorCode slug message }
      page { id path }
    }
  }
}
"""

UPDATE_PAGE = """
mutation DailyPapersUpdatePage($id: Int!, $content: String!, $description: String!,
    $editor: String!, $isPublished: Boolean!, $isPrivate: Boolean!, $locale: String!,
    $path: String!, $tags: [String]!, $title: String!) {
  pages {
    update(id: $id, content: $content, description: $description, editor: $editor,
        isPublished: $isPublished, isPrivate: $isPrivate, locale: $locale, path: $path,
        tags: $tags, title: $title) {
      responseResult { succeeded errorCode slug message }
      page { id path }
    }
  }
}
"""


@dataclass(frozen=True)
class WikiTarget:
    """A parsed ``wikijs://`` URL: the wiki's base URL, the page path prefix and the locale."""

    base: str
    prefix: str
    locale: str

    @property
    def endpoint(self) -> str:
        return f"{self.base}/graphql"

    def day_path(self, day: date) -> str:
        return f"{self.prefix}/{day:%Y}/{day:%m}/{day.isoformat()}"

    def index_path(self, day: date) -> str:
        return f"{self.prefix}/{day:%Y}/{day:%m}"

    def page_url(self, path: str) -> str:
        return f"{self.base}/{self.locale}/{path}"


@dataclass(frozen=True)
class WikiPublishResult:
    """Where the digest went and what was done: ``created``, ``updated`` or ``unchanged``."""

    day_path: str
    index_path: str
    day_action: str
    index_action: str
    url: str


def is_wikijs_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in ("wikijs", "wikijs+http", "wikijs+https")


def parse_wikijs_url(url: str) -> WikiTarget:
    """``wikijs[+http]://host[:port]/prefix[?locale=xx]`` -> WikiTarget; raises UsageError."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise UsageError("--publish: not a wikijs:// URL") from None
    scheme = {"wikijs": "https", "wikijs+https": "https", "wikijs+http": "http"}.get(
        parts.scheme.lower()
    )
    if scheme is None or not host:
        raise UsageError("--publish: use wikijs://HOST[:PORT]/PREFIX (or wikijs+http://)")
    if parts.username or parts.password:
        raise UsageError(f"--publish: put the Wiki.js API key in {TOKEN_ENV}, not in the URL")
    segments = [s for s in parts.path.split("/") if s] or ["daily-papers"]
    if not all(_SEGMENT.match(s) for s in segments):
        raise UsageError("--publish: the Wiki.js path prefix may hold only letters, digits, ._-")
    query = parse_qs(parts.query)
    locale = (query.get("locale") or ["en"])[-1].lower()
    if not _LOCALE.match(locale):
        raise UsageError("--publish: bad Wiki.js locale (e.g. en, de, pt-br)")
    shown = f"[{host}]" if ":" in host else host
    netloc = f"{shown}:{port}" if port else shown
    return WikiTarget(f"{scheme}://{netloc}", "/".join(segments), locale)


class _Wiki:
    """A tiny GraphQL client for the three calls we need; every message token-free."""

    def __init__(
        self,
        target: WikiTarget,
        client: httpx2.AsyncClient,
        token: str,
        retries: int,
        backoff: float,
    ) -> None:
        self.target = target
        self.client = client
        self.token = token
        self.retries = retries
        self.backoff = backoff

    def _clean(self, text: str) -> str:
        if len(self.token) >= 4:
            text = text.replace(self.token, "***")
        return " ".join(text.split())[:300]

    async def call(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            problem = await self._post(query, variables)
            if isinstance(problem, dict):
                return problem
            if attempt > self.retries:
                raise PublishError(self._clean(f"Wiki.js {self.target.base}: {problem}"))
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def _post(self, query: str, variables: dict[str, Any]) -> dict[str, Any] | str:
        """The answer's JSON, or a string saying what transient problem to retry."""
        where = self.target.base
        try:
            response = await self.client.post(
                self.target.endpoint, json={"query": query, "variables": variables}
            )
        except httpx2.TimeoutException:
            return "timed out"
        except httpx2.HTTPError as exc:
            return f"connection failed ({exc.__class__.__name__})"
        if response.status_code >= 500 or response.status_code in (408, 429):
            return f"HTTP {response.status_code}"
        if response.status_code in (401, 403):
            raise PublishError(
                f"Wiki.js {where} refused the API key (HTTP {response.status_code}); "
                f"check {TOKEN_ENV}"
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise PublishError(
                f"Wiki.js {where}: HTTP {response.status_code}, not a GraphQL answer"
            )
        if response.status_code >= 300 and not body.get("errors"):
            raise PublishError(f"Wiki.js {where}: HTTP {response.status_code}")
        return body

    @staticmethod
    def _code(error: dict[str, Any]) -> int | None:
        ext = error.get("extensions") or {}
        for holder in (ext.get("exception") or {}, ext, error):
            code = holder.get("code") if isinstance(holder, dict) else None
            if isinstance(code, int):
                return code
        return None

    def _error(self, errors: list[Any], what: str) -> PublishError:
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        message = str(first.get("message") or "unknown error")
        if "singleByPath" in message:
            message += " (dailypapers needs Wiki.js 2.5 or later)"
        return PublishError(self._clean(f"Wiki.js {self.target.base}: {what}: {message}"))

    async def find(self, path: str) -> dict[str, Any] | None:
        body = await self.call(FIND_PAGE, {"path": path, "locale": self.target.locale})
        page = ((body.get("data") or {}).get("pages") or {}).get("singleByPath")
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        if page:
            return dict(page)
        if all(
            self._code(e) == _NOT_FOUND or "does not exist" in str(e.get("message", "")).lower()
            for e in errors
        ):
            return None
        raise self._error(errors, f"cannot look up {path}")

    async def write(
        self,
        path: str,
        title: str,
        description: str,
        content: str,
        *,
        lookup: bool = True,
        page: dict[str, Any] | None = None,
    ) -> str:
        """Create or update ``path`` (``lookup=False``: ``page`` was already looked up).

        Returns ``created``, ``updated`` or ``unchanged``.
        """
        if lookup:
            page = await self.find(path)
        if page is None:
            result = await self._mutate(
                "create", CREATE_PAGE, None, path, title, description, content
            )
            if result.get("succeeded"):
                return "created"
            if result.get("errorCode") != _DUPLICATE:
                raise self._failed("create", path, result)
            page = await self.find(path)  # created meanwhile by someone else: update it
            if page is None:
                raise self._failed("create", path, result)
        if (page.get("content"), page.get("title"), page.get("description")) == (
            content,
            title,
            description,
        ):
            return "unchanged"
        result = await self._mutate(
            "update", UPDATE_PAGE, int(page["id"]), path, title, description, content
        )
        if not result.get("succeeded"):
            raise self._failed("update", path, result)
        return "updated"

    def _failed(self, verb: str, path: str, result: dict[str, Any]) -> PublishError:
        detail = f"{result.get('message') or result.get('slug') or 'failed'}"
        code = result.get("errorCode")
        return PublishError(
            self._clean(f"Wiki.js {self.target.base}: cannot {verb} {path}: {detail} ({code})")
        )

    async def _mutate(
        self,
        verb: str,
        query: str,
        page_id: int | None,
        path: str,
        title: str,
        description: str,
        content: str,
    ) -> dict[str, Any]:
        variables: dict[str, Any] = {
            "content": content,
            "description": description,
            "editor": "markdown",
            "isPublished": True,
            "isPrivate": False,
            "locale": self.target.locale,
            "path": path,
            "tags": ["daily-papers"],
            "title": title,
        }
        if page_id is not None:
            variables = {"id": page_id, **variables}
        body = await self.call(query, variables)
        errors = body.get("errors")
        answer = ((body.get("data") or {}).get("pages") or {}).get(verb)
        if errors or not isinstance(answer, dict):
            raise self._error(errors or [], f"cannot {verb} {path}")
        result = answer.get("responseResult")
        if not isinstance(result, dict):
            raise PublishError(f"Wiki.js {self.target.base}: {verb} {path}: no responseResult")
        return result


def _index_entries(content: str, month: str) -> dict[str, str]:
    """Day links already on an index page: {YYYY-MM-DD: label}, this month's dates only."""
    entries: dict[str, str] = {}
    for line in content.splitlines():
        match = _INDEX_LINE.match(line.strip())
        if match and match.group(1).startswith(month):
            try:
                date.fromisoformat(match.group(1))
            except ValueError:
                continue
            label = " ".join((match.group(2) or "").replace("[", "").replace("]", "").split())
            entries[match.group(1)] = label[:80]
    return entries


def _index_content(target: WikiTarget, day: date, entries: dict[str, str]) -> str:
    lines = [f"# Daily Papers {day:%Y-%m}", "", _INDEX_MARK, ""]
    for iso in sorted(entries, reverse=True):
        link = f"/{target.locale}/{target.day_path(date.fromisoformat(iso))}"
        label = f" — {entries[iso]}" if entries[iso] else ""
        lines.append(f"- [{iso}]({link}){label}")
    return "\n".join(lines) + "\n"


def _count(digest: Digest) -> str:
    n = len(digest.items)
    return f"{n} paper" if n == 1 else f"{n} papers"


async def publish_wikijs(
    url: str,
    digest: Digest,
    *,
    markdown: str,
    token: str | None = None,
    timeout: float = 30,
    retries: int = 2,
    backoff: float = 1.0,
) -> WikiPublishResult:
    """Create or update the digest's page and its month's index page; raises PublishError."""
    target = parse_wikijs_url(url)
    token = token or os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise PublishError(f"Wiki.js {target.base}: set {TOKEN_ENV} to an API key")
    day = digest.date
    headers = {"Authorization": f"Bearer {token}", "User-Agent": "dailypapers"}
    async with httpx2.AsyncClient(timeout=timeout, headers=headers) as client:
        wiki = _Wiki(target, client, token, max(0, retries), backoff)
        day_path, index_path = target.day_path(day), target.index_path(day)
        title = f"Daily Papers {day.isoformat()}"
        description = f"{_count(digest)} from the Hugging Face daily list"
        day_action = await wiki.write(day_path, title, description, markdown)
        log.info("wikijs: %s %s", day_action, target.page_url(day_path))
        index = await wiki.find(index_path)
        entries = _index_entries(str((index or {}).get("content") or ""), f"{day:%Y-%m}")
        entries[day.isoformat()] = _count(digest)
        index_action = await wiki.write(
            index_path,
            f"Daily Papers {day:%Y-%m}",
            f"Daily Papers digests of {day:%Y-%m}",
            _index_content(target, day, entries),
            lookup=False,
            page=index,
        )
        log.info("wikijs: %s %s", index_action, target.page_url(index_path))
    return WikiPublishResult(
        day_path, index_path, day_action, index_action, target.page_url(day_path)
    )
