"""The shared HTTP getter against the loopback server: Retry-After, and a cache that cannot be
written."""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from dailypapers.errors import RateLimitedError
from dailypapers.net import MAX_RETRY_AFTER, Fetcher


def fetcher(**kwargs: Any) -> Fetcher:
    # Short backoff: a wait of about a second can only come from a Retry-After header.
    kwargs.setdefault("retries", 4)
    return Fetcher(
        user_agent="dailypapers-tests", timeout=5, wait_initial=0.01, wait_max=0.05, **kwargs
    )


async def test_a_retry_after_longer_than_we_wait_fails_at_once(fake_server):
    fake_server.add_day("2026-01-02", b"[]")
    fake_server.add_fault("/api/daily_papers", status=429, headers={"Retry-After": "3600"}, times=5)
    url = f"{fake_server.url}/api/daily_papers?date=2026-01-02"
    async with fetcher() as f:
        with pytest.raises(RateLimitedError) as caught:
            await f.get(url, cache=False)
    assert fake_server.hits("/api/daily_papers") == 1  # asked once, never hammered
    assert MAX_RETRY_AFTER < 3600 and caught.value.retry_after == pytest.approx(3600)
    assert caught.value.retryable is False
    assert "429" in str(caught.value)


async def test_a_short_retry_after_is_honoured(fake_server):
    fake_server.add_day("2026-01-02", b'[{"ok": 1}]')
    fake_server.add_fault("/api/daily_papers", status=429, headers={"Retry-After": "1"})
    url = f"{fake_server.url}/api/daily_papers?date=2026-01-02"
    async with fetcher() as f:
        started = time.monotonic()
        body = await f.get(url, cache=False)
        waited = time.monotonic() - started
    assert body == b'[{"ok": 1}]'
    assert fake_server.hits("/api/daily_papers") == 2
    assert waited >= 0.9


async def test_a_cache_that_cannot_be_written_is_warned_about_once(fake_server, caplog):
    fake_server.html["2601.00001"] = b"<html>one</html>"
    fake_server.html["2601.00002"] = b"<html>two</html>"
    caplog.set_level(logging.WARNING, logger="dailypapers")
    async with fetcher(cache_dir=Path("/proc/x/cache")) as f:
        first = await f.get(f"{fake_server.url}/html/2601.00001")
        second = await f.get(f"{fake_server.url}/html/2601.00002")
        again = await f.get(f"{fake_server.url}/html/2601.00001")
    assert (first, second, again) == (b"<html>one</html>", b"<html>two</html>", first)
    warnings = [r.getMessage() for r in caplog.records if "download cache" in r.getMessage()]
    assert warnings == [
        "download cache not writable: /proc/x/cache: No such file or directory; going on without it"
    ]


async def test_a_writable_cache_downloads_nothing_twice(fake_server, tmp_path):
    fake_server.html["2601.00001"] = b"<html>one</html>"
    url = f"{fake_server.url}/html/2601.00001"
    async with fetcher(cache_dir=tmp_path / "cache") as f:
        assert await f.get(url) == b"<html>one</html>"
    async with fetcher(cache_dir=tmp_path / "cache") as f:
        assert await f.get(url) == b"<html>one</html>"
        assert f.requests == 0
    assert fake_server.hits("/html/") == 1


async def test_requests_to_one_host_are_spaced_and_bounded(fake_server):
    import asyncio
    from urllib.parse import urlsplit

    from dailypapers.net import Fetcher, HostPolicy

    host = urlsplit(fake_server.url).netloc
    fake_server.html.update({f"2601.0000{n}": b"<html></html>" for n in range(4)})
    policies = {host: HostPolicy(concurrency=2, delay=0.5)}
    async with Fetcher(user_agent="dailypapers-test", policies=policies) as fetcher:
        urls = [f"{fake_server.url}/html/2601.0000{n}" for n in range(4)]
        await asyncio.gather(*(fetcher.get(url) for url in urls))
    starts = sorted(r.at for r in fake_server.requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(starts) == 4 and min(gaps) >= 0.45, gaps
    assert all(r.headers["user-agent"] == "dailypapers-test" for r in fake_server.requests)
