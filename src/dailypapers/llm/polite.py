"""What every LLM client shares: the provider's limits, retries, and its lifecycle.

``PoliteClient`` holds the requests-per-minute limiter and the in-flight semaphore of one provider,
retries a request on 429 (after the provider's ``Retry-After``), 5xx, timeouts and broken
connections with jittered backoff, counts the HTTP requests it sends, and closes its SDK client.
A subclass sets ``self._client`` (an SDK client with ``close()``) and calls :meth:`_send` with a
coroutine factory for one request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import stamina
from aiolimiter import AsyncLimiter

from .base import retry_hook
from .providers import LLMConfig

__all__ = ["PoliteClient"]

T = TypeVar("T")


class PoliteClient:
    """Base of the LLM clients: limits, retries, ``async with`` and ``aclose()``."""

    _client: Any

    def __init__(self, config: LLMConfig, *, wait_initial: float, wait_max: float) -> None:
        self.config = config
        self.model = config.model
        self._limiter = AsyncLimiter(config.rpm, 60)
        self._semaphore = asyncio.Semaphore(config.concurrency)
        self._wait_initial = wait_initial
        self._wait_max = wait_max
        self.calls = 0  # HTTP requests sent, retries included

    def __repr__(self) -> str:
        return f"{type(self).__name__}(provider={self.config.provider!r}, model={self.model!r})"

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.close()

    def _who(self) -> str:
        return f"LLM {self.config.provider}/{self.model}"

    async def _send(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run ``request()`` within the provider's limits, retried as the module says; the
        request raises ``LLMError`` classes (retryable ones are tried again)."""
        async for attempt in stamina.retry_context(
            on=retry_hook,
            attempts=self.config.max_retries + 1,
            timeout=None,
            wait_initial=self._wait_initial,
            wait_max=self._wait_max,
        ):
            with attempt:
                async with self._semaphore, self._limiter:
                    self.calls += 1
                    return await request()
        raise AssertionError("unreachable")  # pragma: no cover
