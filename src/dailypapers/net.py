"""Polite HTTP for the stages that download: one async client, per-host limits, retries, a cache.

``Fetcher.get(url)`` returns the body of a 200 answer or raises one of the ``HTTPError`` classes of
:mod:`dailypapers.errors`. Around every request it keeps a per-host concurrency limit and a
minimum spacing between requests to the same host (arXiv asks for this), retries transport
errors, 5xx and 429 with jittered exponential backoff (honouring ``Retry-After`` up to
``MAX_RETRY_AFTER``; a longer one fails at once as rate limited), sets a timeout and an
identifying User-Agent, and, when a cache folder is given, keeps each successful body on disk by
URL so that a second run downloads nothing twice. The cache is best effort: a folder that cannot
be written is warned about once and the run goes on without it.

This is shared plumbing, like ``models`` and ``errors``, not a stage.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx2
import stamina

from .errors import (
    HTTPError,
    NotFoundError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)

__all__ = ["Fetcher", "HostPolicy", "display_url", "parse_retry_after"]

log = logging.getLogger("dailypapers.net")

#: Longest Retry-After we are willing to sleep for; beyond it the request fails as rate limited.
MAX_RETRY_AFTER = 120.0


def display_url(url: str) -> str:
    """``url`` without user, password, query or fragment: safe to print."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    if not parts.scheme:
        return parts.path
    return f"{parts.scheme}://{host}{parts.path}"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


@dataclass
class HostPolicy:
    """How hard we may hit one host: parallel requests and seconds between request starts."""

    concurrency: int = 4
    delay: float = 0.0


@dataclass
class _HostState:
    semaphore: asyncio.Semaphore
    delay: float
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    next_start: float = 0.0


def _retry_hook(exc: Exception) -> bool | float:
    if isinstance(exc, RateLimitedError):
        if not exc.retryable:  # the server asked for a longer wait than we are willing to sleep
            return False
        if exc.retry_after is not None:
            return exc.retry_after
        return True
    return isinstance(exc, HTTPError) and exc.retryable


class Fetcher:
    """An async HTTP getter with per-host manners. Use as ``async with Fetcher(...) as f``."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 30.0,
        retries: int = 4,
        policies: Mapping[str, HostPolicy] | None = None,
        default_policy: HostPolicy | None = None,
        cache_dir: Path | None = None,
        transport: httpx2.AsyncBaseTransport | None = None,
        wait_initial: float = 0.5,
        wait_max: float = 30.0,
    ) -> None:
        self._client = httpx2.AsyncClient(
            headers={"User-Agent": user_agent},
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
        )
        self._retries = max(1, retries)
        self._policies = dict(policies or {})
        self._default = default_policy or HostPolicy()
        self._hosts: dict[str, _HostState] = {}
        self._cache_dir = cache_dir
        self._cache_writable = True
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self.requests = 0

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    def _cache_path(self, url: str) -> Path | None:
        if self._cache_dir is None:
            return None
        digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self._cache_dir / digest[:2] / digest

    async def get(
        self, url: str, *, params: Mapping[str, str] | None = None, cache: bool = True
    ) -> bytes:
        """Body of a 200 answer to GET ``url``; cached on disk when a cache folder is set and
        ``cache`` is true (pass false for answers that change, like a day's growing list)."""
        full = str(httpx2.URL(url, params=params)) if params else url
        path = self._cache_path(full) if cache else None
        if path is not None:
            try:
                return path.read_bytes()
            except OSError:  # not cached yet (or unreadable): download it
                pass
        body = await self._get_with_retries(full)
        if path is not None and self._cache_writable:
            self._cache_put(path, body)
        return body

    def _cache_put(self, path: Path, body: bytes) -> None:
        """Keep ``body`` at ``path``; a cache that cannot be written is warned about once per
        Fetcher and not tried again (the download itself succeeded, so the run goes on)."""
        try:
            _write_atomic(path, body)
        except OSError as exc:
            self._cache_writable = False
            reason = exc.strerror or type(exc).__name__
            log.warning(
                "download cache not writable: %s: %s; going on without it", self._cache_dir, reason
            )

    async def _get_with_retries(self, url: str) -> bytes:
        async for attempt in stamina.retry_context(
            on=_retry_hook,
            attempts=self._retries,
            timeout=None,
            wait_initial=self._wait_initial,
            wait_max=self._wait_max,
        ):
            with attempt:
                return await self._get_once(url)
        raise AssertionError("unreachable")  # pragma: no cover

    def _host(self, url: str) -> _HostState:
        host = urlsplit(url).netloc
        state = self._hosts.get(host)
        if state is None:
            policy = self._policies.get(host, self._default)
            state = _HostState(asyncio.Semaphore(max(1, policy.concurrency)), policy.delay)
            self._hosts[host] = state
        return state

    async def _space(self, state: _HostState) -> None:
        if state.delay <= 0:
            return
        async with state.lock:
            now = time.monotonic()
            wait = state.next_start - now
            state.next_start = max(now, state.next_start) + state.delay
        if wait > 0:
            await asyncio.sleep(wait)

    async def _get_once(self, url: str) -> bytes:
        state = self._host(url)
        async with state.semaphore:
            await self._space(state)
            self.requests += 1
            try:
                response = await self._client.get(url)
                body = await response.aread()
            except httpx2.TimeoutException:
                raise RequestTimeoutError(f"timed out: GET {url}", url=url) from None
            except httpx2.TransportError as exc:
                reason = type(exc).__name__
                raise ServerError(f"connection failed ({reason}): GET {url}", url=url) from None
        status = response.status_code
        if status == 200:
            return body
        if status == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is not None and wait > MAX_RETRY_AFTER:
                error = RateLimitedError(
                    f"HTTP 429: GET {url} (Retry-After {wait:.0f}s is longer than we wait)",
                    url=url,
                    retry_after=wait,
                )
                error.retryable = False  # fail now: retrying sooner than asked is rude and futile
                raise error
            raise RateLimitedError(f"HTTP 429: GET {url}", url=url, retry_after=wait)
        if status in (404, 410):
            raise NotFoundError(f"HTTP {status}: GET {url}", url=url, status=status)
        if status >= 500:
            raise ServerError(f"HTTP {status}: GET {url}", url=url, status=status)
        raise HTTPError(f"HTTP {status}: GET {url}", url=url, status=status)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
